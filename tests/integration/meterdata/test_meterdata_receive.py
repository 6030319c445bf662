"""Receiving meter files through the API and the watched folder, against a real PostgreSQL.

Proves: bytes are stored exactly as received under their sha256; the same file twice is a no-op; a bad
file is quarantined with file, line, field and reason while nothing already stored changes; roles hold.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import text

GOOD = (
    b"meter_id,interval_start,value,unit\n"
    b"GT1-GEN,2026-10-01T00:00:00-04:00,4512.250,kWh\n"
    b"GT1-FUEL,2026-10-01T00:00:00-04:00,48.211,MMBtu\n"
)
BAD = b"meter_id,interval_start,value,unit\nGT1-GEN,2026-10-01T00:00:00-04:00,4512.250,kWh\nNOPE,2026-10-01T00:00:00-04:00,1,kWh\n"


def _good(value_kwh: str) -> bytes:
    """Distinct content per test: raw files are addressed by content across the whole database."""
    return GOOD.replace(b"4512.250", value_kwh.encode())


def _count(engine, table: str, campus_id: str) -> int:
    with engine.begin() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table} WHERE campus_id = :c"), {"c": campus_id}).scalar_one()


async def test_upload_stores_bytes_as_received_and_twice_is_a_no_op(client, engine, campus_id, data_root) -> None:
    """201 with the sha256 of the body; the stored file has exactly those bytes; the second upload is 200."""
    first = await client.post("/meter-data", params={"campus_id": campus_id, "name": "gt1-2026-10.csv"}, content=GOOD)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["sha256_hex"] == hashlib.sha256(GOOD).hexdigest()
    assert (body["status"], body["reading_count"], body["size_bytes"]) == ("accepted", 2, len(GOOD))
    assert (Path(data_root) / "raw" / body["sha256_hex"]).read_bytes() == GOOD
    again = await client.post("/meter-data", params={"campus_id": campus_id, "name": "renamed.csv"}, content=GOOD)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert _count(engine, "raw_file", campus_id) == 1
    status = (await client.get(f"/meter-data/files/{body['sha256_hex']}")).json()
    assert (status["status"], status["original_name"], status["reading_count"]) == ("accepted", "gt1-2026-10.csv", 2)


async def test_bad_file_is_quarantined_with_its_reason_and_nothing_else_changes(client, engine, campus_id, data_root) -> None:
    """The bad row (line 3, unknown meter) is named; the file is kept and listed in quarantine; the good file
    received before keeps its bytes and status."""
    good_bytes = _good("4512.251")
    good = (await client.post("/meter-data", params={"campus_id": campus_id, "name": "good.csv"}, content=good_bytes)).json()
    response = await client.post("/meter-data", params={"campus_id": campus_id, "name": "bad.csv"}, content=BAD)
    assert response.status_code == 422
    outcome = response.json()
    assert outcome["status"] == "quarantined"
    assert outcome["error"] == {"source": "bad.csv", "line": 3, "field": "meter_id", "reason": "unknown meter 'NOPE'"}
    assert (Path(data_root) / "raw" / outcome["sha256_hex"]).read_bytes() == BAD
    listed = (await client.get("/meter-data/quarantine", params={"campus_id": campus_id})).json()
    assert [(q["original_name"], q["line"], q["field"]) for q in listed] == [("bad.csv", 3, "meter_id")]
    assert (Path(data_root) / "raw" / good["sha256_hex"]).read_bytes() == good_bytes
    assert (await client.get(f"/meter-data/files/{good['sha256_hex']}")).json()["status"] == "accepted"
    assert _count(engine, "meter_data_accepted", campus_id) == 1


async def test_large_upload_arrives_in_chunks_and_is_stored_intact(client, campus_id, data_root) -> None:
    """A 40,000-line file sent as a chunked body is stored byte for byte and every line is checked."""
    lines = [b"meter_id,interval_start,value,unit\n"]
    for day in range(1, 29):
        for quarter in range(96):
            lines.append(f"SHARED,2026-10-{day:02d}T{quarter // 4:02d}:{quarter % 4 * 15:02d}:00-04:00,1,234.5,kWh\n"
                         .replace(",1,234.5,", ",1234.5,").encode())
    payload = b"".join(lines)

    async def body():
        for start in range(0, len(payload), 64 * 1024):
            yield payload[start:start + 64 * 1024]

    response = await client.post("/meter-data", params={"campus_id": campus_id, "name": "big.csv"}, content=body())
    assert response.status_code == 201, response.text
    assert response.json()["reading_count"] == 28 * 96
    stored = Path(data_root) / "raw" / response.json()["sha256_hex"]
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == hashlib.sha256(payload).hexdigest()


async def test_unknown_campus_and_missing_role_are_refused(client, campus_id) -> None:
    """404 for a campus that does not exist; 403 for a caller without the ingest or operator role."""
    assert (await client.post("/meter-data", params={"campus_id": "nowhere", "name": "a.csv"}, content=GOOD)).status_code == 404
    refused = await client.post("/meter-data", params={"campus_id": campus_id, "name": "a.csv"}, content=GOOD,
                          headers={"x-test-roles": "tenant"})
    assert refused.status_code == 403


def test_watched_folder_takes_settled_files_and_moves_them_aside(engine, campus_id, data_root, tmp_path) -> None:
    """First pass only notes sizes; the second receives: good -> processed/, bad -> quarantine/ + reason."""
    from meterdata.watch import WatchState, watch_pass

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "good.csv").write_bytes(_good("4512.252"))
    (inbox / "bad.csv").write_bytes(BAD + b"\n")
    state = WatchState({})
    assert watch_pass(engine, data_root, campus_id, inbox, state) == []
    taken = dict(watch_pass(engine, data_root, campus_id, inbox, state))
    assert {name: outcome.status for name, outcome in taken.items()} == {"bad.csv": "quarantined", "good.csv": "accepted"}
    assert (inbox / "processed" / "good.csv").read_bytes() == _good("4512.252")
    assert "unknown meter 'NOPE'" in (inbox / "quarantine" / "bad.csv.reason.txt").read_text()
    assert not (inbox / "good.csv").exists()


async def test_cycle_refusal_can_quarantine_a_stored_file(client, engine, campus_id) -> None:
    """A file accepted on receipt but refused later (e.g. outside the cycle's period) is quarantined by hash."""
    from common.errors import BadInput
    from meterdata import service

    body = (await client.post("/meter-data", params={"campus_id": campus_id, "name": "late.csv"},
                              content=_good("4512.253"))).json()
    service.quarantine_file(engine, campus_id, body["sha256_hex"], BadInput("late.csv", 2, "interval_start", "outside"))
    status = (await client.get(f"/meter-data/files/{body['sha256_hex']}")).json()
    assert (status["status"], status["line"], status["field"], status["reason"]) == ("quarantined", 2, "interval_start", "outside")

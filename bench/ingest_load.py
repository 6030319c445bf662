"""Concurrent ingest load: N clients upload interval files to `POST /meter-data` at once, over real HTTP.

The API runs in uvicorn on 127.0.0.1 over PostgreSQL (DATABASE_URL, else the embedded server). Each client
uploads its own files (one meter-day of 15-minute readings each; no two files share a meter and day), then
sends its first file again, as a client retrying after a lost response would. Afterwards every stored file
is read back through the ingest reader and the script checks that every value the API accepted is stored
exactly once: one raw-file row and one acceptance per distinct file, the repeats answered as duplicates,
the stored bytes equal to what was sent, and as many distinct (meter, interval) readings as values sent.

    .venv/bin/python bench/ingest_load.py --clients 50 --files-per-client 10 [--out result.json]

Prints throughput (files/s, values/s) and latency percentiles (p50, p95, p99) as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import uvicorn
from sqlalchemy import Engine, text

if TYPE_CHECKING:
    from fastapi import FastAPI

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from demo.campus import CAMPUS_ID, METERS, register_demo_campus

ELECTRIC_METERS = [m for m in METERS if m.role != "fuel"]
FIRST_DAY = date(2025, 1, 1)
QUARTER_HOURS_PER_DAY = 96
REQUEST_TIMEOUT_S = 120.0
SERVER_START_S_MAX = 30.0


@dataclass(frozen=True)
class LoadResult:
    clients: int
    files_per_client: int
    files_sent: int
    values_sent: int
    repeats_sent: int
    elapsed_s: float
    files_per_s: float
    values_per_s: float
    latency_ms_p50: float
    latency_ms_p95: float
    latency_ms_p99: float
    latency_ms_max: float
    accepted: int
    duplicates: int
    other_statuses: dict[str, int]
    values_stored: int
    distinct_readings_stored: int


def file_for(client: int, index: int, files_per_client: int) -> tuple[str, bytes, int]:
    """(name, CSV bytes, value count) of one client's file: one meter, one UTC day, distinct from every other."""
    slot = client * files_per_client + index
    meter = ELECTRIC_METERS[slot % len(ELECTRIC_METERS)]
    day = FIRST_DAY + timedelta(days=slot // len(ELECTRIC_METERS))
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    lines = ["meter_id,interval_start,value,unit"]
    for quarter in range(QUARTER_HOURS_PER_DAY):
        stamp = (start + timedelta(minutes=15 * quarter)).isoformat()
        lines.append(f"{meter.meter_id},{stamp},{(slot * 7 + quarter) % 900 + 100}.25,{meter.unit}")
    name = f"load-c{client:03d}-f{index:03d}.csv"
    return name, ("\n".join(lines) + "\n").encode(), QUARTER_HOURS_PER_DAY


async def _client(base_url: str, token: str, client: int, files_per_client: int,
                  latencies_ms: list[float], statuses: list[int]) -> None:
    headers = {"Authorization": f"Bearer {token}", "content-type": "text/csv"}
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as http:
        uploads = [file_for(client, index, files_per_client) for index in range(files_per_client)]
        for name, body, _ in [*uploads, uploads[0]]:  # the last one repeats the first: a retried upload
            started = time.perf_counter()
            response = await http.post("/meter-data", params={"campus_id": CAMPUS_ID, "name": name},
                                       content=body, headers=headers)
            latencies_ms.append((time.perf_counter() - started) * 1000)
            statuses.append(response.status_code)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


def stored_readings(engine: Engine, sent: dict[str, bytes]) -> tuple[int, int, int]:
    """(rows accepted, values read back, distinct (meter, interval)) over the stored copies; checks bytes."""
    from meterdata import SITE_EXPORT_V1
    from meterdata.fsutil import read_bytes
    from meterdata.ingest import read_file_bytes
    from meterdata.readings import ReadingColumns, ReadingWindow
    from meterdata.service import campus_meters

    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT r.sha256_hex, r.stored_uri, r.original_name, a.reading_count FROM raw_file r "
            "JOIN meter_data_accepted a USING (sha256_hex) WHERE r.campus_id = :c AND r.original_name LIKE 'load-%'"),
            {"c": CAMPUS_ID}).all()
    assert sorted(row[0] for row in rows) == sorted(sent), "accepted files differ from the distinct files sent"
    meters = campus_meters(engine, CAMPUS_ID)
    window = ReadingWindow(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC), datetime.now(UTC))
    out = ReadingColumns()
    for sha256_hex, stored_uri, name, reading_count in rows:
        data = read_bytes(stored_uri)
        assert hashlib.sha256(data).hexdigest() == sha256_hex == hashlib.sha256(sent[sha256_hex]).hexdigest()
        assert read_file_bytes(data, name, sha256_hex, meters, SITE_EXPORT_V1, window, out) == reading_count
    distinct = len(set(zip(out.meter_id, out.interval_start_us, strict=True)))
    return sum(row[3] for row in rows), len(out.meter_id), distinct


def serve(app: FastAPI, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", limit_concurrency=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_S_MAX
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("API did not start")
        time.sleep(0.05)
    return server, thread


def run_load(engine: Engine, database_url: str, home: Path, clients: int, files_per_client: int) -> LoadResult:
    from api.app import create_app
    from api.auth import mint_token
    from runtime.keys import ensure_signing_key
    from settings import Settings
    from wattledger_cli.stack import free_port

    settings = Settings(home=home, database_url=database_url)
    ensure_signing_key(settings)
    with engine.begin() as conn:
        register_demo_campus(conn)
    # One key per client, as 50 site gateways would have: one principal may have only a few uploads at once.
    tokens = [mint_token(settings, f"load.ingest.{client:03d}", ["ingest"], None, timedelta(hours=1))
              for client in range(clients)]
    port = free_port()
    server, thread = serve(create_app(settings, engine, None), port)
    latencies_ms: list[float] = []
    statuses: list[int] = []
    try:
        started = time.perf_counter()
        asyncio.run(_all_clients(f"http://127.0.0.1:{port}", tokens, files_per_client, latencies_ms, statuses))
        elapsed_s = time.perf_counter() - started
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    sent = {hashlib.sha256(body).hexdigest(): body
            for c in range(clients) for _, body, _ in (file_for(c, i, files_per_client) for i in range(files_per_client))}
    accepted_rows, values_stored, distinct = stored_readings(engine, sent)
    files_sent = clients * files_per_client
    counts = {str(s): statuses.count(s) for s in sorted(set(statuses)) if s not in (200, 201)}
    return LoadResult(
        clients, files_per_client, files_sent, files_sent * QUARTER_HOURS_PER_DAY, clients, round(elapsed_s, 2),
        round((files_sent + clients) / elapsed_s, 1), round(files_sent * QUARTER_HOURS_PER_DAY / elapsed_s),
        percentile(latencies_ms, 0.50), percentile(latencies_ms, 0.95), percentile(latencies_ms, 0.99),
        round(max(latencies_ms), 1), statuses.count(201), statuses.count(200), counts, values_stored, distinct,
    ) if accepted_rows == values_stored else _mismatch(accepted_rows, values_stored)


def _mismatch(accepted_rows: int, values_stored: int) -> LoadResult:
    raise AssertionError(f"accepted reading counts {accepted_rows} differ from values read back {values_stored}")


async def _all_clients(base_url: str, tokens: list[str], files_per_client: int,
                       latencies_ms: list[float], statuses: list[int]) -> None:
    await asyncio.gather(*(_client(base_url, token, c, files_per_client, latencies_ms, statuses)
                           for c, token in enumerate(tokens)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--files-per-client", type=int, default=10)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL; default embedded")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    from db import embedded_database_url, make_engine
    from tests.faults.harness import fresh_database

    home = Path(tempfile.mkdtemp(prefix="wl-load-"))
    server_url = args.database_url or embedded_database_url(home / "pg")
    with fresh_database(server_url) as url:
        engine = make_engine(url)
        try:
            result = run_load(engine, url, home, args.clients, args.files_per_client)
        finally:
            engine.dispose()
    body = json.dumps(asdict(result), indent=1, sort_keys=True)
    print(body)
    if args.out:
        args.out.write_text(body)


if __name__ == "__main__":
    main()

"""Memory of the API process while it receives one large meter file through `POST /meter-data`.

Writes a Green Button (ESPI) XML file of about `--file-mb` MB (or a site-export CSV with `--format csv`) for a
campus of 15-minute meters registered in a fresh database, starts the API in its own process (uvicorn on
127.0.0.1, a free port), uploads the file streamed from disk, and reads the API process's resident memory from
/proc: before the upload (VmRSS), its high-water mark during it (VmHWM) and what it keeps afterwards (VmRSS).

Rerun: `DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/upload_memory.py
--format xml --file-mb 200` (without DATABASE_URL an embedded PostgreSQL is started). Last line:
`BENCH upload_memory format=xml file_mb=... peak_rss_mb=... before_rss_mb=... after_rss_mb=... status=...
readings=... upload_s=...`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CAMPUS_ID = "bench-upload"
INTERVAL_MINUTES = 15
MONTH_START_UTC = datetime(2025, 1, 1, tzinfo=UTC)
READINGS_PER_METER = 31 * 96
SERVER_START_S_MAX = 60.0
UPLOAD_TIMEOUT_S = 1800.0
SEND_CHUNK_BYTES = 1 << 20
READING_BYTES_BY_FORMAT = {"xml": 130, "csv": 41}
"""About the size of one written reading; sets how many meters make the requested file size."""


def meter_count_for(file_format: str, file_mb: float) -> int:
    return max(1, int(file_mb * 1e6 / (READING_BYTES_BY_FORMAT[file_format] * READINGS_PER_METER)))


def write_espi(path: Path, meter_count: int) -> int:
    """A feed with one usage point, meter reading, reading type and one month's IntervalBlock per meter."""
    espi = 'xmlns="http://naesb.org/espi"'
    start_s = int(MONTH_START_UTC.timestamp())
    with path.open("w", encoding="ascii") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n')
        for index in range(meter_count):
            point = f"/espi/1_1/resource/RetailCustomer/1/UsagePoint/M{index:05d}"
            reading = f"{point}/MeterReading/1"
            reading_type = f"/espi/1_1/resource/ReadingType/{index}"
            out.write(f'<entry><link rel="self" href="{point}"/><title>M{index:05d}</title>'
                      f'<content><UsagePoint {espi}><ServiceCategory><kind>0</kind></ServiceCategory>'
                      f'</UsagePoint></content></entry>\n')
            out.write(f'<entry><link rel="self" href="{reading}"/><link rel="related" href="{reading_type}"/>'
                      f'<content><MeterReading {espi}/></content></entry>\n')
            out.write(f'<entry><link rel="self" href="{reading_type}"/><content><ReadingType {espi}>'
                      f'<accumulationBehaviour>4</accumulationBehaviour><flowDirection>1</flowDirection>'
                      f'<intervalLength>900</intervalLength><powerOfTenMultiplier>0</powerOfTenMultiplier>'
                      f'<uom>72</uom></ReadingType></content></entry>\n')
            out.write(f'<entry><link rel="self" href="{reading}/IntervalBlock/1"/><content>'
                      f'<IntervalBlock {espi}><interval><duration>{READINGS_PER_METER * 900}</duration>'
                      f'<start>{start_s}</start></interval>\n')
            for slot in range(READINGS_PER_METER):
                out.write(f'<IntervalReading><timePeriod><duration>900</duration><start>{start_s + slot * 900}'
                          f'</start></timePeriod><value>{(index * 7 + slot) % 9000 + 1000}</value>'
                          f'</IntervalReading>\n')
            out.write("</IntervalBlock></content></entry>\n")
        out.write("</feed>\n")
    return meter_count * READINGS_PER_METER


def write_csv(path: Path, meter_count: int) -> int:
    with path.open("w", encoding="ascii") as out:
        out.write("meter_id,interval_start,value,unit\n")
        for index in range(meter_count):
            for slot in range(READINGS_PER_METER):
                stamp = (MONTH_START_UTC + timedelta(minutes=INTERVAL_MINUTES * slot)).isoformat()
                out.write(f"M{index:05d},{stamp},{(index * 7 + slot) % 9000 + 1000},Wh\n")
    return meter_count * READINGS_PER_METER


def register_campus(database_url: str, meter_count: int) -> None:
    from db import make_engine

    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO campus (campus_id, name, time_zone, iso) VALUES (:c, 'Upload bench', "
                          "'America/New_York', 'NYISO')"), {"c": CAMPUS_ID})
        conn.execute(
            text("INSERT INTO meter (campus_id, meter_id, role, unit, interval_minutes, tenant_id, rated_kw)"
                 " VALUES (:c, :m, 'shared_consumption', 'kWh', :i, NULL, NULL)"),
            [{"c": CAMPUS_ID, "m": f"M{index:05d}", "i": INTERVAL_MINUTES} for index in range(meter_count)],
        )
    engine.dispose()


def serve(database_url: str, home: Path, port: int) -> None:
    """The child process: the API app over the given database, no Temporal (uploads need none)."""
    import uvicorn

    from api.app import create_app
    from db import make_engine
    from settings import Settings

    settings = Settings(home=home, database_url=database_url)
    app = create_app(settings, make_engine(settings.database_url or database_url), None)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")


def rss_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


def wait_ready(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_S_MAX
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("API process exited before it was ready")
        try:
            httpx.get(f"{base_url}/openapi.json", timeout=2.0)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("API did not start")


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(SEND_CHUNK_BYTES):
            yield chunk


def measure(database_url: str, workdir: Path, file_format: str, file_mb: float) -> str:
    from api.auth import mint_token
    from runtime.keys import ensure_signing_key
    from settings import Settings
    from wattledger_cli.stack import free_port

    meter_count = meter_count_for(file_format, file_mb)
    register_campus(database_url, meter_count)
    path = workdir / f"site-export.{file_format}"
    readings = (write_espi if file_format == "xml" else write_csv)(path, meter_count)
    home = workdir / "home"
    settings = Settings(home=home, database_url=database_url)
    ensure_signing_key(settings)
    token = mint_token(settings, "bench.ingest", ["ingest"], None, timedelta(hours=1))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([sys.executable, __file__, "--serve", database_url, str(home), str(port)],
                               cwd=ROOT)
    try:
        wait_ready(base_url, process)
        before = rss_mb(process.pid)
        started = time.perf_counter()
        response = httpx.post(f"{base_url}/meter-data", params={"campus_id": CAMPUS_ID, "name": path.name},
                              content=file_chunks(path), timeout=UPLOAD_TIMEOUT_S,
                              headers={"Authorization": f"Bearer {token}"})
        upload_s = time.perf_counter() - started
        after = rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    counted = response.json().get("reading_count") if response.status_code < 300 else response.text[:200]
    return (f"BENCH upload_memory format={file_format} file_mb={path.stat().st_size / 1e6:.1f} "
            f"peak_rss_mb={after['VmHWM']:.0f} before_rss_mb={before['VmRSS']:.0f} "
            f"after_rss_mb={after['VmRSS']:.0f} status={response.status_code} readings={readings} "
            f"accepted_readings={counted} upload_s={upload_s:.1f}")


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=("xml", "csv"), default="xml")
    parser.add_argument("--file-mb", type=float, default=200.0)
    args = parser.parse_args()
    from db import embedded_database_url
    from tests.faults.harness import fresh_database

    with tempfile.TemporaryDirectory(prefix="wl-upload-mem-") as folder:
        workdir = Path(folder)
        server_url = os.environ.get("DATABASE_URL") or embedded_database_url(workdir / "pg")
        with fresh_database(server_url) as url:
            print(measure(url, workdir, args.format, args.file_mb), flush=True)


if __name__ == "__main__":
    main()

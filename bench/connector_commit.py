"""Connector store micro-benchmark: the time of one `connectors.store.commit_batch` of `--channels` one-reading
deliveries (5,000 by default, one per channel, as a full batch of a 5,000-channel plant at 1 Hz), over
`--batches` consecutive batches (20), each a second after the last, into a real PostgreSQL. Every commit inserts
every reading and counts it into its channel-day (`connector_day_count`); the figure is the median commit,
raw batch file included.

Run: `DATABASE_URL=... nice -n 0 .venv/bin/python bench/connector_commit.py [--channels 5000] [--batches 20]`
(else the embedded PostgreSQL under .wattledger/bench-pg). The last line is
`BENCH connector_commit median_s=... min_s=... readings=... batches=...`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text

from campus import service as campus_service
from campus.file import parse_campus_text
from connectors.reading import Delivery, ReadingQuality, RegisterReading
from connectors.store import commit_batch
from db import make_engine, scratch_database, server_url_from_environment

DEMO = ROOT / "demo" / "campus.toml"
T0 = datetime(2026, 11, 3, 23, 59, 50, tzinfo=UTC)  # the batches cross midnight, as a live day does


def batch(channels: int, second: int) -> list[Delivery]:
    at = T0 + timedelta(seconds=second)
    deliveries = []
    for number in range(channels):
        register_wh = 1_000_000 + 10 * second + number
        reading = RegisterReading("GT1-GEN", f"c{number:05d}", at, at + timedelta(milliseconds=30), register_wh,
                                  ReadingQuality.GOOD, str(register_wh))
        deliveries.append(Delivery(f"mqtt:bench/c{number:05d}",
                                   json.dumps({"ts": at.isoformat(), "wh": register_wh}).encode(), (reading,)))
    return deliveries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", type=int, default=5_000)
    parser.add_argument("--batches", type=int, default=20)
    args = parser.parse_args()
    server_url = server_url_from_environment(ROOT / ".wattledger" / "bench-pg")
    with tempfile.TemporaryDirectory(prefix="wattledger-bench-commit-") as folder, \
            scratch_database(server_url, "wlbench") as url:
        engine = make_engine(url)
        campus_id = f"bench-{uuid.uuid4().hex[:8]}"
        campus_text = DEMO.read_text().replace('id = "demo-campus"', f'id = "{campus_id}"', 1)
        campus_service.apply(engine, parse_campus_text("campus.toml", campus_text.encode(), None), "bench")
        batches = [batch(args.channels, second) for second in range(args.batches)]
        seconds = []
        for deliveries in batches:
            started = time.perf_counter()
            outcome = commit_batch(engine, str(Path(folder) / "data"), campus_id, deliveries)
            seconds.append(time.perf_counter() - started)
            assert outcome.inserted_count == args.channels
        with engine.begin() as conn:
            counted = conn.execute(text("SELECT sum(reading_count) FROM connector_day_count WHERE campus_id = :c"),
                                   {"c": campus_id}).scalar_one()
        assert counted == args.channels * args.batches, f"day counts {counted}"
        engine.dispose()
    print(f"BENCH connector_commit median_s={statistics.median(seconds):.3f} min_s={min(seconds):.3f} "
          f"readings={args.channels} batches={args.batches}")


if __name__ == "__main__":
    main()

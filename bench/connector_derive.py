"""Derivation of one channel-day from 1-second register readings: the full load (every reading of the UTC day,
`connectors.repository.load_readings`) against the thinned load (`connectors.derive.load_channel_readings`:
readings near boundaries, every reading of an irregular interval), both derived with the same pure rules.

The day's 86,400 readings (one every second, 20 ms after it, 2 Wh a second, a UINT32-style wrap at 14:00 and a
reset at 18:30 so two intervals are irregular) go in through the store's own insert, interleaved second by second
with `--neighbours` other channels so the channel's rows are spread over the table as a live campus spreads them.
Figures, the best of `--repeats` runs each:
- `rows_before`, `rows_after`: readings loaded into Python;
- `seconds_before`, `seconds_after`: load + derive of the channel-day.
The two derivations must be equal (checked). Run: `.venv/bin/python bench/connector_derive.py` with DATABASE_URL
set (else the embedded PostgreSQL under .wattledger/bench-pg). The last line is
`BENCH connector_derive rows_before=... seconds_before=... rows_after=... seconds_after=... readings=... ...`.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, text

from connectors import repository as repo
from connectors.derive import load_channel_readings
from connectors.intervals import ChannelRules, Derivation, derive_intervals
from connectors.reading import ReadingQuality, RegisterReading
from connectors.repository import ReadingRow
from db import make_engine, scratch_database, server_url_from_environment
from tests.integration.connectors.conftest import apply_live_campus

DAY_START = datetime(2026, 11, 3, tzinfo=UTC)
DAY_END = DAY_START + timedelta(days=1)
METER = "GT1-GEN"
MODULUS_WH = 2**32
RULES = ChannelRules(15, register_modulus_wh=MODULUS_WH, power_max_w=50_000)
SECONDS_PER_INSERT = 3_600


def register_wh(second: int) -> int:
    """2 Wh a second from just below the wrap; at 18:30 the meter resets to 0 and counts on."""
    if second < 18 * 3_600 + 1_800:
        return (MODULUS_WH - 14 * 3_600 * 2 + 2 * second) % MODULUS_WH
    return 2 * (second - (18 * 3_600 + 1_800))


def fill(engine: Engine, campus_id: str, neighbours: int) -> None:
    """The day ± 2 minutes, an hour per transaction, the channel and its neighbours second by second."""
    channels = ["main", *[f"n{index}" for index in range(neighbours)]]
    for hour_start in range(-120, 86_400 + 120, SECONDS_PER_INSERT):
        rows = []
        for second in range(hour_start, min(hour_start + SECONDS_PER_INSERT, 86_400 + 120)):
            ts = DAY_START + timedelta(seconds=second, milliseconds=20)
            for channel in channels:
                value = register_wh(second)
                rows.append(ReadingRow(RegisterReading(METER, channel, ts, ts + timedelta(milliseconds=30), value,
                                                       ReadingQuality.GOOD, str(value)), "bench", 0))
        sha = uuid.uuid4().hex
        with engine.begin() as conn:
            repo.insert_batch(conn, sha, campus_id, f"/bench/{sha}", 0, 1)
            repo.insert_new_readings(conn, campus_id, sha, rows)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE connector_reading"))


def derive_full(engine: Engine, campus_id: str) -> tuple[Derivation, int]:
    with engine.begin() as conn:
        readings = repo.load_readings(conn, campus_id, METER, "main", DAY_START, DAY_END)
    return derive_intervals(readings, RULES, DAY_START, DAY_END), len(readings)


def derive_thinned(engine: Engine, campus_id: str) -> tuple[Derivation, int]:
    with engine.begin() as conn:
        load = load_channel_readings(conn, campus_id, METER, "main", RULES, DAY_START, DAY_END)
    return derive_intervals(load.readings, RULES, DAY_START, DAY_END), len(load.readings)


def best_of(repeats: int, run: Callable[[Engine, str], tuple[Derivation, int]], engine: Engine,
            campus_id: str) -> tuple[Derivation, int, float]:
    timings = []
    for _ in range(repeats):
        began = time.perf_counter()
        derivation, rows = run(engine, campus_id)
        timings.append(time.perf_counter() - began)
    return derivation, rows, min(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--neighbours", type=int, default=4, help="other channels interleaved with the measured one")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    server_url = server_url_from_environment(ROOT / ".wattledger" / "bench-pg")
    with scratch_database(server_url, "wlbench") as url:
        engine = make_engine(url)
        try:
            campus_id = apply_live_campus(engine)
            fill(engine, campus_id, args.neighbours)
            full, rows_before, seconds_before = best_of(args.repeats, derive_full, engine, campus_id)
            thinned, rows_after, seconds_after = best_of(args.repeats, derive_thinned, engine, campus_id)
        finally:
            engine.dispose()
    assert thinned == full, "the thinned load derived other intervals"
    assert len(full.intervals) == 96 and not full.rejected
    print(f"BENCH connector_derive rows_before={rows_before} seconds_before={seconds_before:.3f} "
          f"rows_after={rows_after} seconds_after={seconds_after:.3f} readings=86400 "
          f"interval_minutes={RULES.interval_minutes} neighbours={args.neighbours}")


if __name__ == "__main__":
    main()

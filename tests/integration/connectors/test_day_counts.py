"""Per channel and UTC day, the store counts the readings it inserts and marks the minutes holding a usable one
(`connector_day_count`), in the same statement as the readings: a redelivery counts nothing again, a failed
transaction counts nothing, a BAD reading is counted but marks no minute, and readings either side of midnight
go to their own days. The migration's backfill gives the same rows as the store kept."""

from __future__ import annotations

import importlib.util
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from connectors.reading import Delivery, ReadingQuality, RegisterReading
from connectors.store import commit_batch
from tests.integration.connectors.conftest import apply_live_campus

ROOT = Path(__file__).resolve().parents[3]
MIGRATION = ROOT / "migrations" / "versions" / "0021_connector_day_counts.py"
MIDNIGHT = datetime(2026, 11, 4, tzinfo=UTC)


def delivery(at: datetime, register_wh: int | None, quality: ReadingQuality = ReadingQuality.GOOD) -> Delivery:
    reading = RegisterReading("GT1-GEN", "main", at, at + timedelta(milliseconds=30), register_wh, quality,
                              str(register_wh))
    return Delivery("mqtt:127.0.0.1:1/plant/GT1-GEN", f"{at.isoformat()} {register_wh}".encode(), (reading,))


def day_counts(engine: Engine, campus_id: str) -> list[tuple[date, int, str]]:
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT day_utc, reading_count, minutes_with_reading FROM connector_day_count"
                                 " WHERE campus_id = :c ORDER BY day_utc"), {"c": campus_id}).all()
    return [(row[0], int(row[1]), str(row[2])) for row in rows]


def ones(minutes: str) -> list[int]:
    return [index for index, bit in enumerate(minutes) if bit == "1"]


def test_inserted_readings_are_counted_once_per_day_with_their_minutes(engine: Engine, data_root: str) -> None:
    """23:58:10, 23:58:40 (both minute 1,438) and 23:59:59 (minute 1,439) on 3 Nov, a BAD reading at 00:00:05 and
    a good one at 00:01:00 on 4 Nov: 3 Nov counts 3 readings in minutes 1,438 and 1,439; 4 Nov counts 2, one
    minute (1). The same batch again inserts nothing and the counts stay; a later reading at 00:01:30 adds one to
    4 Nov, its minute already set."""
    campus_id = apply_live_campus(engine)
    batch = [delivery(MIDNIGHT - timedelta(seconds=110), 1_000), delivery(MIDNIGHT - timedelta(seconds=80), 1_010),
             delivery(MIDNIGHT - timedelta(seconds=1), 1_020),
             delivery(MIDNIGHT + timedelta(seconds=5), None, ReadingQuality.BAD),
             delivery(MIDNIGHT + timedelta(minutes=1), 1_040)]
    commit_batch(engine, data_root, campus_id, batch)
    first = day_counts(engine, campus_id)
    assert [(day, count, ones(minutes)) for day, count, minutes in first] == [
        (date(2026, 11, 3), 3, [1_438, 1_439]), (date(2026, 11, 4), 2, [1])]
    again = commit_batch(engine, data_root, campus_id, batch)
    assert (again.inserted_count, again.duplicate_count) == (0, 5)
    assert day_counts(engine, campus_id) == first
    commit_batch(engine, data_root, campus_id, [delivery(MIDNIGHT + timedelta(seconds=90), 1_050)])
    assert [(count, ones(minutes)) for _, count, minutes in day_counts(engine, campus_id)] == [
        (3, [1_438, 1_439]), (3, [1])]


def test_a_failed_batch_counts_nothing(engine: Engine, data_root: str) -> None:
    """A batch for an unregistered campus fails on its foreign key: no reading and no day count."""
    campus_id = apply_live_campus(engine) + "-missing"
    with pytest.raises(IntegrityError):
        commit_batch(engine, data_root, campus_id, [delivery(MIDNIGHT, 1)])
    assert day_counts(engine, campus_id) == []


def test_the_migration_backfill_gives_what_the_store_kept(engine: Engine, data_root: str) -> None:
    """600 readings 7 min 1 s apart across four UTC days and a BAD one, stored through the store in two batches
    that overlap by 50 (counted once): 601 readings; the campus's day counts deleted and rebuilt by the
    migration's backfill statement are the same rows."""
    campus_id = apply_live_campus(engine)
    deliveries = [delivery(MIDNIGHT + timedelta(minutes=7 * k, seconds=k), 2_000 + k) for k in range(-300, 300)]
    deliveries.append(delivery(MIDNIGHT + timedelta(hours=3, seconds=1), None, ReadingQuality.BAD))
    commit_batch(engine, data_root, campus_id, deliveries[:350])
    commit_batch(engine, data_root, campus_id, deliveries[300:])
    kept = day_counts(engine, campus_id)
    assert sum(count for _, count, _ in kept) == 601
    spec = importlib.util.spec_from_file_location("migration_0021", MIGRATION)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    backfill = migration.BACKFILL_SQL.replace("FROM connector_reading\n", "FROM connector_reading WHERE campus_id = :c\n")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM connector_day_count WHERE campus_id = :c"), {"c": campus_id})
        conn.execute(text(backfill), {"c": campus_id})
    assert day_counts(engine, campus_id) == kept

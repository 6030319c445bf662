"""Commit a batch of deliveries: their raw messages as one content-addressed file in the raw store (as uploads
keep theirs: `<data_root>/raw/<sha256>`), their readings, conflicts and channel counters in one transaction.

Idempotent: a reading whose (campus, meter, channel, source time) is stored already is a duplicate when its value
and quality are the same (counted, nothing written) and a conflict otherwise (the first value kept, the offer
recorded and counted, an alarm). So a redelivery after a crash between commit and acknowledgement adds no row.

The batch file is a Parquet table, one row per delivery in arrival order (`message_index` is the row number):
source, received time and the raw bytes. It is written and fsynced before the transaction; a crash between the
two leaves an unreferenced file (harmless, collectable), never a reading without its raw message.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine

from connectors import repository as repo
from connectors.reading import Delivery, RegisterReading
from connectors.repository import ChannelTally, Key, ReadingRow, StoredValue
from meterdata import RawFileWriter, StoredBytes

BATCH_FILE_NAME = "connector-batch.parquet"
BATCH_SCHEMA = pa.schema([
    pa.field("message_index", pa.int32(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("received_ts_utc", pa.timestamp("us", tz="UTC"), nullable=True),
    pa.field("raw_message", pa.binary(), nullable=False),
])


@dataclass(frozen=True)
class BatchOutcome:
    batch_sha256_hex: str
    message_count: int
    reading_count: int
    """Readings in the batch (all of them, duplicates included)."""
    inserted_count: int
    duplicate_count: int
    conflict_count: int


def batch_file_bytes(deliveries: Sequence[Delivery]) -> bytes:
    received = [min((r.received_ts_utc for r in d.readings), default=None) for d in deliveries]
    table = pa.Table.from_pydict({
        "message_index": list(range(len(deliveries))),
        "source": [d.source for d in deliveries],
        "received_ts_utc": received,
        "raw_message": [d.raw_message for d in deliveries],
    }, schema=BATCH_SCHEMA)
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()


def store_batch_file(data_root_uri: str, deliveries: Sequence[Delivery]) -> StoredBytes:
    writer = RawFileWriter(data_root_uri, BATCH_FILE_NAME)
    try:
        writer.write(batch_file_bytes(deliveries))
    except BaseException:
        writer.abort()
        raise
    stored = writer.finish()
    _fsync_local(stored.stored_uri)
    return stored


def _fsync_local(path: str) -> None:
    # The readings' commit must not outlive the bytes they point at: a local file is flushed to disk first.
    if os.path.isfile(path):
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def commit_batch(engine: Engine, data_root_uri: str, campus_id: str,
                 deliveries: Sequence[Delivery]) -> BatchOutcome:
    """Store one batch (see the module docstring). Raises on any database or file error: nothing is committed,
    and the caller must not acknowledge."""
    stored = store_batch_file(data_root_uri, deliveries)
    rows = [ReadingRow(reading, delivery.source, index)
            for index, delivery in enumerate(deliveries) for reading in delivery.readings]
    first_rows, repeats = _first_of_each_key(rows)
    with engine.begin() as conn:
        repo.insert_batch(conn, stored.sha256_hex, campus_id, stored.stored_uri, stored.size_bytes, len(deliveries))
        inserted = repo.insert_new_readings(conn, campus_id, stored.sha256_hex, first_rows)
        already = [row.reading for row in first_rows if _key(row.reading) not in inserted]
        offered = already + [row.reading for row in repeats]
        stored_values = repo.stored_values(conn, campus_id, sorted({_key(r) for r in offered}))
        duplicates, conflicts = _classify(offered, stored_values)
        repo.insert_conflicts(conn, campus_id, stored.sha256_hex, conflicts)
        repo.add_channel_tallies(conn, campus_id, _tallies(duplicates, conflicts))
    return BatchOutcome(stored.sha256_hex, len(deliveries), len(rows), len(inserted), len(duplicates),
                        len(conflicts))


def _key(reading: RegisterReading) -> Key:
    return reading.meter_id, reading.channel, reading.source_ts_utc


def _first_of_each_key(rows: Sequence[ReadingRow]) -> tuple[list[ReadingRow], list[ReadingRow]]:
    seen: set[Key] = set()
    first: list[ReadingRow] = []
    repeats: list[ReadingRow] = []
    for row in rows:
        key = _key(row.reading)
        (repeats if key in seen else first).append(row)
        seen.add(key)
    return first, repeats


def _classify(offered: Sequence[RegisterReading], stored: dict[Key, StoredValue]
              ) -> tuple[list[RegisterReading], list[tuple[RegisterReading, StoredValue]]]:
    duplicates: list[RegisterReading] = []
    conflicts: list[tuple[RegisterReading, StoredValue]] = []
    for reading in offered:
        kept = stored[_key(reading)]
        if (kept.register_wh, kept.quality) == (reading.register_wh, reading.quality.value):
            duplicates.append(reading)
        else:
            conflicts.append((reading, kept))
    return duplicates, conflicts


def _tallies(duplicates: Sequence[RegisterReading], conflicts: Sequence[tuple[RegisterReading, StoredValue]]
             ) -> dict[tuple[str, str], ChannelTally]:
    """The duplicate and conflict counts per channel (the inserted readings' counts and watermarks are added by
    the readings' INSERT itself)."""
    tallies: dict[tuple[str, str], ChannelTally] = {}
    for reading in duplicates:
        tallies.setdefault((reading.meter_id, reading.channel), ChannelTally()).duplicate_count += 1
    for reading, _kept in conflicts:
        tallies.setdefault((reading.meter_id, reading.channel), ChannelTally()).conflict_count += 1
    return tallies

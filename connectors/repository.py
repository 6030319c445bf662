"""SQL of the live connectors: raw message batches, register readings (idempotent on campus, meter, channel and
source time), conflicts, per-channel counters and derivation versions. The connectors' one SQL home.

Functions take a SQLAlchemy Connection inside the caller's transaction; they never commit. Rows go in as arrays
through `unnest`, one statement per table per batch, so a batch of thousands of readings is a handful of round
trips.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from connectors.reading import ReadingQuality, RegisterReading

READINGS_PER_LOAD_MAX = 5_000_000
"""A month of one channel at 1 Hz is 2.7 M readings: the derivation loads a day or less at a time."""


@dataclass(frozen=True)
class ReadingRow:
    """A reading with where it came from: the delivery's source and its position in the batch file."""

    reading: RegisterReading
    source: str
    message_index: int


@dataclass(frozen=True)
class StoredValue:
    register_wh: int | None
    quality: str


@dataclass(frozen=True)
class ChannelStatus:
    meter_id: str
    channel: str
    reading_count: int
    duplicate_count: int
    conflict_count: int
    last_source_ts_utc: datetime | None
    last_received_ts_utc: datetime | None


Key = tuple[str, str, datetime]


def insert_batch(conn: Connection, sha256_hex: str, campus_id: str, stored_uri: str, size_bytes: int,
                 message_count: int) -> None:
    conn.execute(
        text("INSERT INTO connector_batch (sha256_hex, campus_id, stored_uri, size_bytes, message_count)"
             " VALUES (:sha, :campus, :uri, :size, :n) ON CONFLICT (sha256_hex) DO NOTHING"),
        {"sha": sha256_hex, "campus": campus_id, "uri": stored_uri, "size": size_bytes, "n": message_count},
    )


def insert_new_readings(conn: Connection, campus_id: str, batch_sha256_hex: str,
                        rows: Sequence[ReadingRow]) -> set[Key]:
    """Insert rows (keys unique within `rows`) whose key is not stored yet; returns the keys inserted."""
    if not rows:
        return set()
    columns: dict[str, list[Any]] = {name: [] for name in (
        "meter", "channel", "source_ts", "received_ts", "wh", "quality", "raw", "serial", "historical", "source",
        "idx")}
    for row in rows:
        reading = row.reading
        for name, value in (("meter", reading.meter_id), ("channel", reading.channel),
                            ("source_ts", reading.source_ts_utc), ("received_ts", reading.received_ts_utc),
                            ("wh", reading.register_wh), ("quality", reading.quality.value),
                            ("raw", reading.raw_value), ("serial", reading.device_serial),
                            ("historical", reading.historical), ("source", row.source), ("idx", row.message_index)):
            columns[name].append(value)
    inserted = conn.execute(
        text("INSERT INTO connector_reading (campus_id, meter_id, channel, source_ts_utc, received_ts_utc,"
             " register_wh, quality, raw_value, device_serial, historical, source, batch_sha256_hex, message_index)"
             " SELECT :campus, u.meter, u.channel, u.source_ts, u.received_ts, u.wh, u.quality, u.raw, u.serial,"
             " u.historical, u.source, :sha, u.idx FROM unnest(CAST(:meter AS text[]), CAST(:channel AS text[]),"
             " CAST(:source_ts AS timestamptz[]), CAST(:received_ts AS timestamptz[]), CAST(:wh AS bigint[]),"
             " CAST(:quality AS text[]), CAST(:raw AS text[]), CAST(:serial AS text[]),"
             " CAST(:historical AS boolean[]), CAST(:source AS text[]), CAST(:idx AS integer[]))"
             " AS u(meter, channel, source_ts, received_ts, wh, quality, raw, serial, historical, source, idx)"
             " ON CONFLICT (campus_id, meter_id, channel, source_ts_utc) DO NOTHING"
             " RETURNING meter_id, channel, source_ts_utc"),
        {"campus": campus_id, "sha": batch_sha256_hex, **columns},
    ).all()
    return {(row[0], row[1], row[2]) for row in inserted}


def stored_values(conn: Connection, campus_id: str, keys: Sequence[Key]) -> dict[Key, StoredValue]:
    """The stored value of each key (present ones only)."""
    if not keys:
        return {}
    rows = conn.execute(
        text("SELECT r.meter_id, r.channel, r.source_ts_utc, r.register_wh, r.quality FROM connector_reading r"
             " JOIN unnest(CAST(:meter AS text[]), CAST(:channel AS text[]), CAST(:ts AS timestamptz[]))"
             " AS k(meter, channel, ts) ON r.meter_id = k.meter AND r.channel = k.channel AND r.source_ts_utc = k.ts"
             " WHERE r.campus_id = :campus"),
        {"campus": campus_id, "meter": [k[0] for k in keys], "channel": [k[1] for k in keys],
         "ts": [k[2] for k in keys]},
    ).all()
    return {(row[0], row[1], row[2]): StoredValue(row[3], row[4]) for row in rows}


def insert_conflicts(conn: Connection, campus_id: str, batch_sha256_hex: str,
                     conflicts: Sequence[tuple[RegisterReading, StoredValue]]) -> None:
    for offered, kept in conflicts:
        conn.execute(
            text("INSERT INTO connector_conflict (campus_id, meter_id, channel, source_ts_utc, kept_register_wh,"
                 " offered_register_wh, offered_raw_value, offered_quality, batch_sha256_hex)"
                 " VALUES (:campus, :meter, :channel, :ts, :kept, :offered, :raw, :quality, :sha)"),
            {"campus": campus_id, "meter": offered.meter_id, "channel": offered.channel, "ts": offered.source_ts_utc,
             "kept": kept.register_wh, "offered": offered.register_wh, "raw": offered.raw_value,
             "quality": offered.quality.value, "sha": batch_sha256_hex},
        )


@dataclass
class ChannelTally:
    reading_count: int = 0
    duplicate_count: int = 0
    conflict_count: int = 0
    last_source_ts_utc: datetime | None = None
    last_received_ts_utc: datetime | None = None


def add_channel_tallies(conn: Connection, campus_id: str, tallies: dict[tuple[str, str], ChannelTally]) -> None:
    """Add each channel's counts and move its watermarks forward (never back: a late reading does not)."""
    if not tallies:
        return
    keys = sorted(tallies)
    conn.execute(
        text("INSERT INTO connector_channel_state AS s (campus_id, meter_id, channel, reading_count, duplicate_count,"
             " conflict_count, last_source_ts_utc, last_received_ts_utc)"
             " SELECT :campus, u.* FROM unnest(CAST(:meter AS text[]), CAST(:channel AS text[]),"
             " CAST(:n AS bigint[]), CAST(:dup AS bigint[]), CAST(:conf AS bigint[]), CAST(:src AS timestamptz[]),"
             " CAST(:rcv AS timestamptz[])) AS u"
             " ON CONFLICT (campus_id, meter_id, channel) DO UPDATE SET"
             " reading_count = s.reading_count + EXCLUDED.reading_count,"
             " duplicate_count = s.duplicate_count + EXCLUDED.duplicate_count,"
             " conflict_count = s.conflict_count + EXCLUDED.conflict_count,"
             " last_source_ts_utc = GREATEST(s.last_source_ts_utc, EXCLUDED.last_source_ts_utc),"
             " last_received_ts_utc = GREATEST(s.last_received_ts_utc, EXCLUDED.last_received_ts_utc)"),
        {"campus": campus_id, "meter": [k[0] for k in keys], "channel": [k[1] for k in keys],
         "n": [tallies[k].reading_count for k in keys], "dup": [tallies[k].duplicate_count for k in keys],
         "conf": [tallies[k].conflict_count for k in keys], "src": [tallies[k].last_source_ts_utc for k in keys],
         "rcv": [tallies[k].last_received_ts_utc for k in keys]},
    )


def channel_statuses(conn: Connection, campus_id: str) -> list[ChannelStatus]:
    rows = conn.execute(
        text("SELECT meter_id, channel, reading_count, duplicate_count, conflict_count, last_source_ts_utc,"
             " last_received_ts_utc FROM connector_channel_state WHERE campus_id = :campus"
             " ORDER BY meter_id, channel"), {"campus": campus_id},
    ).all()
    return [ChannelStatus(*row) for row in rows]


def load_readings(conn: Connection, campus_id: str, meter_id: str, channel: str, start_utc: datetime,
                  end_utc: datetime) -> list[RegisterReading]:
    """The channel's readings with source time in [start_utc, end_utc], plus the last one before and the first
    one after (so the window's edges are bracketed), in source-time order."""
    rows = conn.execute(
        text("(SELECT source_ts_utc, received_ts_utc, register_wh, quality, raw_value, device_serial, historical"
             "  FROM connector_reading WHERE campus_id = :campus AND meter_id = :meter AND channel = :channel"
             "  AND source_ts_utc < :start AND quality IN ('good', 'uncertain') AND register_wh IS NOT NULL"
             "  ORDER BY source_ts_utc DESC LIMIT 1)"
             " UNION ALL (SELECT source_ts_utc, received_ts_utc, register_wh, quality, raw_value, device_serial,"
             "  historical FROM connector_reading WHERE campus_id = :campus AND meter_id = :meter"
             "  AND channel = :channel AND source_ts_utc >= :start AND source_ts_utc <= :end"
             "  ORDER BY source_ts_utc LIMIT :n)"
             " UNION ALL (SELECT source_ts_utc, received_ts_utc, register_wh, quality, raw_value, device_serial,"
             "  historical FROM connector_reading WHERE campus_id = :campus AND meter_id = :meter"
             "  AND channel = :channel AND source_ts_utc > :end AND quality IN ('good', 'uncertain')"
             "  AND register_wh IS NOT NULL ORDER BY source_ts_utc LIMIT 1)"),
        {"campus": campus_id, "meter": meter_id, "channel": channel, "start": start_utc, "end": end_utc,
         "n": READINGS_PER_LOAD_MAX},
    ).all()
    assert len(rows) < READINGS_PER_LOAD_MAX, "derive over a shorter window"
    return sorted((RegisterReading(meter_id, channel, row[0], row[1], row[2], ReadingQuality(row[3]), row[4],
                                   row[5], row[6]) for row in rows), key=lambda r: r.source_ts_utc)


def readings_recorded_until(conn: Connection, campus_id: str) -> datetime | None:
    """When the campus's latest reading was recorded (a derivation is current while nothing newer arrived)."""
    value = conn.execute(text("SELECT max(recorded_at_utc) FROM connector_reading WHERE campus_id = :campus"),
                         {"campus": campus_id}).scalar()
    return value if isinstance(value, datetime) else None


def latest_derivation(conn: Connection, campus_id: str, window_start_utc: datetime) -> tuple[int, str] | None:
    row = conn.execute(
        text("SELECT version, intervals_sha256_hex FROM connector_derivation WHERE campus_id = :campus"
             " AND window_start_utc = :start ORDER BY version DESC LIMIT 1"),
        {"campus": campus_id, "start": window_start_utc},
    ).first()
    return None if row is None else (int(row[0]), str(row[1]))


def insert_derivation(conn: Connection, campus_id: str, window_start_utc: datetime, window_end_utc: datetime,
                      version: int, sha256_hex: str, interval_count: int, estimated_count: int,
                      recorded_until_utc: datetime | None) -> None:
    conn.execute(
        text("INSERT INTO connector_derivation (campus_id, window_start_utc, version, window_end_utc,"
             " intervals_sha256_hex, interval_count, estimated_count, readings_recorded_until_utc)"
             " VALUES (:campus, :start, :version, :end, :sha, :n, :est, :until)"),
        {"campus": campus_id, "start": window_start_utc, "version": version, "end": window_end_utc,
         "sha": sha256_hex, "n": interval_count, "est": estimated_count, "until": recorded_until_utc},
    )


def lock_derivation(conn: Connection, campus_id: str) -> None:
    """Two derivations of one campus take turns (the version number is read-modify-write)."""
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"connector-derive:{campus_id}"})


def intervals_with_reading(conn: Connection, campus_id: str, meter_id: str, channel: str, start_utc: datetime,
                           end_utc: datetime, interval_minutes: int) -> int:
    """How many intervals of the grid (aligned to the hour in UTC) in [start_utc, end_utc) hold a usable reading."""
    if end_utc <= start_utc:
        return 0
    value = conn.execute(
        text("SELECT count(DISTINCT floor(extract(epoch FROM source_ts_utc) / :seconds)) FROM connector_reading"
             " WHERE campus_id = :campus AND meter_id = :meter AND channel = :channel AND source_ts_utc >= :start"
             " AND source_ts_utc < :end AND register_wh IS NOT NULL AND quality IN ('good', 'uncertain')"),
        {"campus": campus_id, "meter": meter_id, "channel": channel, "start": start_utc, "end": end_utc,
         "seconds": interval_minutes * 60},
    ).scalar_one()
    return int(value)

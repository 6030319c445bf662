"""SQL of the live connectors: raw message batches, register readings (idempotent on campus, meter, channel and
source time), conflicts, per-channel counters and derivation versions. The connectors' one SQL home.

Functions take a SQLAlchemy Connection inside the caller's transaction; they never commit. Rows go in as arrays
through `unnest`, one statement per table per batch, so a batch of thousands of readings is a handful of round
trips.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

from connectors.reading import ReadingQuality, RegisterReading
from connectors.thinning import ThinningPlan

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


USABLE = "quality IN ('good', 'uncertain') AND register_wh IS NOT NULL"  # the predicate of connector_reading_usable
CHANNEL = "campus_id = :campus AND meter_id = :meter AND channel = :channel"
READINGS_IN_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS connector_reading_in (meter_id text, channel text, source_ts_utc timestamptz,"
    " received_ts_utc timestamptz, register_wh bigint, quality text, raw_value text, device_serial text,"
    " historical boolean, source text, message_index integer) ON COMMIT DELETE ROWS")
TALLIES_IN_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS connector_tally_in (meter_id text, channel text, reading_count bigint,"
    " duplicate_count bigint, conflict_count bigint, last_source_ts_utc timestamptz,"
    " last_received_ts_utc timestamptz) ON COMMIT DELETE ROWS")


NO_MINUTES = "CAST(repeat('0', 1440) AS bit(1440))"
MINUTE_OF_DAY = "CAST(CAST(floor(extract(epoch FROM source_ts_utc) / 60) AS bigint) % 1440 AS integer)"
INSERT_READINGS_AND_DAY_COUNTS_SQL = f"""
WITH inserted AS (
  INSERT INTO connector_reading (campus_id, meter_id, channel, source_ts_utc, received_ts_utc, register_wh, quality,
                                 raw_value, device_serial, historical, source, batch_sha256_hex, message_index)
  SELECT :campus, meter_id, channel, source_ts_utc, received_ts_utc, register_wh, quality, raw_value, device_serial,
         historical, source, :sha, message_index FROM connector_reading_in
  ON CONFLICT (campus_id, meter_id, channel, source_ts_utc) DO NOTHING
  RETURNING meter_id, channel, source_ts_utc, received_ts_utc, register_wh, quality
), counted AS (
  INSERT INTO connector_day_count AS d (campus_id, meter_id, channel, day_utc, reading_count, minutes_with_reading)
  SELECT :campus, meter_id, channel, CAST(source_ts_utc AT TIME ZONE 'UTC' AS date), count(*),
         coalesce(bit_or(set_bit({NO_MINUTES}, {MINUTE_OF_DAY}, 1)) FILTER (WHERE {USABLE}), {NO_MINUTES})
  FROM inserted GROUP BY meter_id, channel, CAST(source_ts_utc AT TIME ZONE 'UTC' AS date)
  ORDER BY meter_id, channel, CAST(source_ts_utc AT TIME ZONE 'UTC' AS date)
  ON CONFLICT (campus_id, meter_id, channel, day_utc) DO UPDATE SET
    reading_count = d.reading_count + EXCLUDED.reading_count,
    minutes_with_reading = d.minutes_with_reading | EXCLUDED.minutes_with_reading
), tallied AS (
  INSERT INTO connector_channel_state AS s (campus_id, meter_id, channel, reading_count, duplicate_count,
                                            conflict_count, last_source_ts_utc, last_received_ts_utc)
  SELECT :campus, meter_id, channel, count(*), 0, 0, max(source_ts_utc) FILTER (WHERE register_wh IS NOT NULL),
         max(received_ts_utc)
  FROM inserted GROUP BY meter_id, channel ORDER BY meter_id, channel
  ON CONFLICT (campus_id, meter_id, channel) DO UPDATE SET
    reading_count = s.reading_count + EXCLUDED.reading_count,
    last_source_ts_utc = GREATEST(s.last_source_ts_utc, EXCLUDED.last_source_ts_utc),
    last_received_ts_utc = GREATEST(s.last_received_ts_utc, EXCLUDED.last_received_ts_utc)
)
SELECT meter_id, channel, source_ts_utc FROM inserted
"""
"""The readings' INSERT and, in the same statement, what the rows it inserted add (a key stored already inserts
nothing, so a duplicate is never counted): the per-channel UTC-day counts and the map of minutes holding a usable
reading (`connector_day_count`, docs/connectors.md "Live view"), and each channel's reading count and watermarks
(`connector_channel_state`; a watermark never moves back). One statement rather than a second COPY and upsert for
the channel counters: a commit of 5,000 readings over 5,000 channels took about 12 % less (docs/benchmarks.md).
Both upserts go in key order, so that two batches updating the same rows lock them in the same order."""


def insert_new_readings(conn: Connection, campus_id: str, batch_sha256_hex: str,
                        rows: Sequence[ReadingRow]) -> set[Key]:
    """Insert rows (keys unique within `rows`) whose key is not stored yet, and count them into their channel-days
    and channel counters; returns the keys inserted.

    The rows go by COPY into a session temp table (emptied at commit) and from there by one INSERT … ON CONFLICT:
    binding them as eleven parameter arrays cost more than the rest of the commit (the driver escapes every array
    element in Python), COPY's rows are written by the driver's C code."""
    if not rows:
        return set()
    _copy_into(conn, READINGS_IN_TABLE, "connector_reading_in (meter_id, channel, source_ts_utc, received_ts_utc,"
               " register_wh, quality, raw_value, device_serial, historical, source, message_index)",
               ((row.reading.meter_id, row.reading.channel, row.reading.source_ts_utc, row.reading.received_ts_utc,
                 row.reading.register_wh, row.reading.quality.value, row.reading.raw_value,
                 row.reading.device_serial, row.reading.historical, row.source, row.message_index) for row in rows))
    inserted = conn.execute(text(INSERT_READINGS_AND_DAY_COUNTS_SQL), {"campus": campus_id, "sha": batch_sha256_hex}).all()
    return {(row[0], row[1], row[2]) for row in inserted}


def _copy_into(conn: Connection, create_table: str, table_and_columns: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """COPY rows into a session temp table (created if missing, emptied first and at commit)."""
    conn.execute(text(create_table))
    conn.execute(text(f"DELETE FROM {table_and_columns.split()[0]}"))  # empty unless used twice in a transaction
    # The driver's own connection, inside the transaction this Connection began (COPY is the driver's protocol).
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f"COPY {table_and_columns} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


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
    """Add each channel's counts and move its watermarks forward (never back: a late reading does not). The store
    passes only duplicates and conflicts here: the inserted readings' counts are added by their INSERT."""
    if not tallies:
        return
    _copy_into(conn, TALLIES_IN_TABLE, "connector_tally_in (meter_id, channel, reading_count, duplicate_count,"
               " conflict_count, last_source_ts_utc, last_received_ts_utc)",
               ((meter, channel, t.reading_count, t.duplicate_count, t.conflict_count, t.last_source_ts_utc,
                 t.last_received_ts_utc) for (meter, channel), t in tallies.items()))
    # In key order, so that two batches updating the same channels lock them in the same order.
    conn.execute(
        text("INSERT INTO connector_channel_state AS s (campus_id, meter_id, channel, reading_count, duplicate_count,"
             " conflict_count, last_source_ts_utc, last_received_ts_utc)"
             " SELECT :campus, u.* FROM connector_tally_in AS u ORDER BY u.meter_id, u.channel"
             " ON CONFLICT (campus_id, meter_id, channel) DO UPDATE SET"
             " reading_count = s.reading_count + EXCLUDED.reading_count,"
             " duplicate_count = s.duplicate_count + EXCLUDED.duplicate_count,"
             " conflict_count = s.conflict_count + EXCLUDED.conflict_count,"
             " last_source_ts_utc = GREATEST(s.last_source_ts_utc, EXCLUDED.last_source_ts_utc),"
             " last_received_ts_utc = GREATEST(s.last_received_ts_utc, EXCLUDED.last_received_ts_utc)"),
        {"campus": campus_id},
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
    """Every reading of the channel with source time in [start_utc, end_utc], plus the last usable one before and
    the first usable one after (so the window's edges are bracketed), in source-time order. The full load: the
    derivation reads `load_boundary_readings`; this is what tests and bench/connector_derive.py compare it with."""
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


def minutes_with_reading(conn: Connection, campus_id: str, first_day_utc: date,
                         last_day_utc: date) -> dict[tuple[str, str], dict[date, str]]:
    """(meter, channel) → UTC day → its 1,440 minutes as '0'/'1' (1: a usable reading in that minute), for the
    days in [first_day_utc, last_day_utc] that have a stored reading (`connector_day_count`)."""
    rows = conn.execute(
        text("SELECT meter_id, channel, day_utc, minutes_with_reading FROM connector_day_count"
             " WHERE campus_id = :campus AND day_utc BETWEEN :first AND :last"),
        {"campus": campus_id, "first": first_day_utc, "last": last_day_utc},
    ).all()
    days: dict[tuple[str, str], dict[date, str]] = {}
    for meter_id, channel, day_utc, minutes in rows:
        days.setdefault((meter_id, channel), {})[day_utc] = str(minutes)
    return days


@dataclass(frozen=True)
class BoundaryLoad:
    """The readings a derivation needs (connectors.thinning): every reading of a bucket (one interval of the
    grid) holding an irregular step or named to be loaded whole, and of the other (thinned) buckets only their
    first and last reading and those within the boundary tolerance of a bucket edge."""

    readings: list[RegisterReading]
    thinned_buckets: dict[int, tuple[datetime, datetime | None]]
    """Bucket number (interval start ÷ interval length since the epoch) → (its first reading's source time, the
    source time of the usable reading before it) for every thinned bucket."""
    rows_scanned: int
    """Usable readings the database looked at (the window's and the two bracketing ones)."""


BOUNDARY_READINGS_SQL = f"""
WITH edges AS (
  SELECT (SELECT max(source_ts_utc) FROM connector_reading WHERE {CHANNEL} AND {USABLE} AND source_ts_utc < :start)
           AS before_ts,
         (SELECT min(source_ts_utc) FROM connector_reading WHERE {CHANNEL} AND {USABLE} AND source_ts_utc > :end)
           AS after_ts
), stepped AS (
  SELECT r.source_ts_utc, r.received_ts_utc, r.register_wh, r.quality, r.device_serial,
         CAST(extract(epoch FROM r.source_ts_utc) * 1000000 AS bigint) AS epoch_us,
         CAST(extract(epoch FROM r.source_ts_utc) * 1000000 AS bigint) / :length_us AS bucket,
         lag(r.source_ts_utc) OVER w AS previous_ts, lag(r.register_wh) OVER w AS previous_wh,
         lag(r.device_serial) OVER w AS previous_serial
  FROM edges CROSS JOIN connector_reading r
  WHERE r.campus_id = :campus AND r.meter_id = :meter AND r.channel = :channel
    AND r.quality IN ('good', 'uncertain') AND r.register_wh IS NOT NULL
    AND r.source_ts_utc >= coalesce(edges.before_ts, :start) AND r.source_ts_utc <= coalesce(edges.after_ts, :end)
  WINDOW w AS (ORDER BY r.source_ts_utc)
), classed AS (
  SELECT stepped.*,
         quality = 'good' AND source_ts_utc - received_ts_utc <= :skew
         AND (previous_ts IS NULL OR (register_wh >= previous_wh
              AND device_serial IS NOT DISTINCT FROM previous_serial
              AND (CAST(:power_w AS bigint) IS NULL
                   OR (CAST(register_wh AS numeric) - previous_wh) * 36000000000
                      <= CAST(:power_w AS bigint) * extract(epoch FROM source_ts_utc - previous_ts) * 11000000)))
           AS plain,
         epoch_us - bucket * :length_us <= :tolerance_us OR (bucket + 1) * :length_us - epoch_us <= :tolerance_us
           AS near_edge
  FROM stepped
), buckets AS (
  SELECT bucket, bool_and(plain) AND NOT bucket = ANY(CAST(:whole AS bigint[])) AS thinned, count(*) AS scanned,
         min(source_ts_utc) AS first_ts, max(source_ts_utc) AS last_ts
  FROM classed GROUP BY bucket
), kept AS MATERIALIZED (
  -- The rows kept, before their raw values are looked up: without statistics (a channel's first readings, before
  -- autovacuum analyzes them) the planner may otherwise scan the channel's rows outside and repeat the whole
  -- classification inside for each of them, which is quadratic in the window's readings.
  SELECT k.source_ts_utc, k.received_ts_utc, k.register_wh, k.quality, k.device_serial, k.bucket,
         b.thinned AND k.source_ts_utc = b.first_ts AS thinned_first, k.previous_ts
  FROM classed k JOIN buckets b USING (bucket)
  WHERE NOT b.thinned OR k.near_edge OR k.source_ts_utc = b.first_ts OR k.source_ts_utc = b.last_ts
)
SELECT k.source_ts_utc, k.received_ts_utc, k.register_wh, k.quality, c.raw_value, k.device_serial, c.historical,
       k.bucket, k.thinned_first, k.previous_ts, (SELECT sum(scanned) FROM buckets)
FROM kept k
JOIN connector_reading c ON c.campus_id = :campus AND c.meter_id = :meter AND c.channel = :channel
                        AND c.source_ts_utc = k.source_ts_utc
ORDER BY k.source_ts_utc
"""


def load_boundary_readings(conn: Connection, campus_id: str, meter_id: str, channel: str, start_utc: datetime,
                           end_utc: datetime, plan: ThinningPlan) -> BoundaryLoad:
    """The channel's usable readings over [start_utc, end_utc] and the two bracketing ones, thinned in the
    database as `connectors.thinning` explains (`plan` carries the channel's rules and the buckets to load whole).
    One range scan of the index `connector_reading_usable` (from the reading before the window to the one after
    it, in time order, so the step window needs no sort) feeds the classification; only the kept rows travel,
    and only they fetch their raw value from the table."""
    rows = conn.execute(
        text(BOUNDARY_READINGS_SQL),
        {"campus": campus_id, "meter": meter_id, "channel": channel, "start": start_utc, "end": end_utc,
         "length_us": plan.interval_length_us, "tolerance_us": plan.boundary_tolerance_us,
         "skew": plan.clock_skew_tolerance, "power_w": plan.power_max_w, "whole": sorted(plan.whole_buckets)},
    ).all()
    readings = [RegisterReading(meter_id, channel, row[0], row[1], row[2], ReadingQuality(row[3]), row[4], row[5],
                                row[6]) for row in rows]
    thinned = {int(row[7]): (row[0], row[9]) for row in rows if row[8]}
    return BoundaryLoad(readings, thinned, int(rows[0][10]) if rows else 0)

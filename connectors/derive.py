"""Derive a window's intervals from the stored register readings and write them into the campus meter-data store,
the store a billing cycle settles from, as one Parquet file received like any upload (checked, accepted, its
bytes under their sha256).

Versions: the derivation of a window is deterministic in the readings, so it is re-run freely; only when its
bytes differ from the window's latest version (a late reading arrived, a meter log was backfilled) is it stored,
as version n + 1. The meter-data store reads files in received order and a later file's interval replaces an
earlier one's, so the newest version is what a cycle settles — and a completed cycle sees it as a pending
correction, like any late file.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Connection, Engine

import campus
from common.timeutil import require_utc
from connectors import repository as repo
from connectors.channels import (
    ChannelDeclaration,
    channel_rules,
    declarations_from_campus,
    level_rules,
    state_of_charge_asset,
)
from connectors.intervals import ChannelRules, DerivedInterval, derive_intervals, meterdata_quality
from connectors.levels import LevelDerivation, LevelRules, derive_levels
from connectors.thinning import buckets_to_load_whole, thinning_plan, whole_load_rounds_max
from meterdata import service as meterdata_service
from meterdata.schema import QUALITY_MEASURED

DERIVED_SCHEMA = pa.schema([
    pa.field("meter_id", pa.string(), nullable=False),
    pa.field("channel", pa.string(), nullable=False),
    pa.field("interval_start_utc", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("interval_minutes", pa.int16(), nullable=False),
    pa.field("energy_wh", pa.int64(), nullable=False),
    pa.field("quality", pa.uint8(), nullable=False),
])


@dataclass(frozen=True)
class WindowDerivation:
    window_start_utc: datetime
    window_end_utc: datetime
    interval_count: int
    estimated_count: int
    version: int | None
    """The version stored now; None when nothing changed since the latest (or nothing to store)."""
    sha256_hex: str
    rejected_count: int
    level_ends_missing_count: int = 0
    """Ended intervals of level channels (a battery's state of charge) with no level at their end (connectors.levels)."""


def derive_window(engine: Engine, data_root_uri: str, campus_id: str, window_start_utc: datetime,
                  window_end_utc: datetime, now_utc: datetime) -> WindowDerivation:
    """Derive every declared channel's intervals starting in [window_start_utc, window_end_utc) that have ended by
    `now_utc`, and store them as a new version when they changed."""
    start, end = require_utc(window_start_utc, "window_start_utc"), require_utc(window_end_utc, "window_end_utc")
    with engine.begin() as conn:
        declarations = declarations_from_campus(campus.load_channel_declarations(conn, campus_id))
        meters = {meter.meter_id: meter for meter in campus.load_meters(conn, campus_id)}
        recorded_until = repo.readings_recorded_until(conn, campus_id)
        rows: list[tuple[ChannelDeclaration, DerivedInterval]] = []
        rejected = level_ends_missing = 0
        assets = campus.load_storage_assets(conn, campus_id)
        for declaration in declarations:
            meter = meters[declaration.meter_id]
            asset = state_of_charge_asset(declaration, assets)
            if asset is not None:
                levels = _derive_channel_levels(conn, campus_id, declaration, level_rules(meter, asset), start, end)
                rejected += len(levels.rejected)
                level_ends_missing += sum(1 for end_utc in levels.missing_ends_utc if end_utc <= now_utc)
                intervals = levels.intervals
            else:
                rules = channel_rules(declaration, meter, start)
                load = load_channel_readings(conn, campus_id, declaration.meter_id, declaration.channel, rules,
                                             start, end)
                derivation = derive_intervals(load.readings, rules, start, end)
                rejected += len(derivation.rejected)
                intervals = derivation.intervals
            rows += [(declaration, interval) for interval in intervals
                     if interval.interval_start_utc + timedelta(minutes=interval.interval_minutes) <= now_utc]
    estimated = sum(1 for _, i in rows if meterdata_quality(i.flags) != QUALITY_MEASURED)
    if not rows:
        return WindowDerivation(start, end, 0, 0, None, "", rejected, level_ends_missing)
    data = derived_file_bytes(rows)
    stored = _store_version(engine, data_root_uri, campus_id, start, end, data, len(rows), estimated, recorded_until,
                            rejected)
    return replace(stored, level_ends_missing_count=level_ends_missing)


def load_channel_readings(conn: Connection, campus_id: str, meter_id: str, channel: str, rules: ChannelRules,
                          window_start_utc: datetime, window_end_utc: datetime) -> repo.BoundaryLoad:
    """The readings the channel's derivation over the window needs: those near interval boundaries and every
    reading of an interval holding an irregular step (connectors.thinning), loading more buckets whole until
    every thinned bucket follows an accepted reading. Derives the same intervals as all of the window's readings
    (`repo.load_readings`)."""
    whole: frozenset[int] = frozenset()
    for _round in range(whole_load_rounds_max(window_start_utc, window_end_utc, rules)):
        load = repo.load_boundary_readings(conn, campus_id, meter_id, channel, window_start_utc, window_end_utc,
                                           thinning_plan(rules, whole))
        more = buckets_to_load_whole(load.readings, rules, load.thinned_buckets)
        if not more:
            return load
        whole |= more
    raise AssertionError(f"{meter_id}/{channel}: thinned buckets still follow a rejected reading")


def _derive_channel_levels(conn: Connection, campus_id: str, declaration: ChannelDeclaration, rules: LevelRules,
                           start: datetime, end: datetime) -> LevelDerivation:
    """A level channel's values at its interval ends (connectors.levels), from every reading that could give one:
    `hold_max` before the first end to `boundary_tolerance` after the last."""
    first_end = start + timedelta(minutes=rules.interval_minutes)
    readings = repo.load_readings(conn, campus_id, declaration.meter_id, declaration.channel,
                                  first_end - rules.hold_max, end + rules.boundary_tolerance)
    return derive_levels(readings, rules, start, end)


def derived_file_bytes(rows: Sequence[tuple[ChannelDeclaration, DerivedInterval]]) -> bytes:
    ordered = sorted(rows, key=lambda row: (row[0].meter_id, row[0].channel, row[1].interval_start_utc))
    table = pa.Table.from_pydict({
        "meter_id": [d.meter_id for d, _ in ordered],
        "channel": [d.channel for d, _ in ordered],
        "interval_start_utc": [i.interval_start_utc for _, i in ordered],
        "interval_minutes": [i.interval_minutes for _, i in ordered],
        "energy_wh": [i.energy_wh for _, i in ordered],
        "quality": [meterdata_quality(i.flags) for _, i in ordered],
    }, schema=DERIVED_SCHEMA)
    out = io.BytesIO()
    # No creation metadata varies between runs: the same intervals give the same bytes and the same sha256.
    pq.write_table(table, out, compression="zstd", store_schema=False)
    return out.getvalue()


def _store_version(engine: Engine, data_root_uri: str, campus_id: str, start: datetime, end: datetime, data: bytes,
                   interval_count: int, estimated_count: int, recorded_until: datetime | None,
                   rejected: int) -> WindowDerivation:
    with engine.begin() as conn:
        repo.lock_derivation(conn, campus_id)
        latest = repo.latest_derivation(conn, campus_id, start)
    name = f"connector-{campus_id}-{start:%Y%m%dT%H%MZ}.parquet"
    outcome = meterdata_service.receive_file(engine, data_root_uri, campus_id, name, [data])
    if latest is not None and latest[1] == outcome.sha256_hex:
        return WindowDerivation(start, end, interval_count, estimated_count, None, outcome.sha256_hex, rejected)
    if outcome.status not in ("accepted", "duplicate"):
        raise RuntimeError(f"derived intervals of {campus_id} from {start.isoformat()} were {outcome.status}: "
                           f"{outcome.error}")
    with engine.begin() as conn:
        repo.lock_derivation(conn, campus_id)
        again = repo.latest_derivation(conn, campus_id, start)
        if again is not None and again[1] == outcome.sha256_hex:
            return WindowDerivation(start, end, interval_count, estimated_count, None, outcome.sha256_hex, rejected)
        version = 1 if again is None else again[0] + 1
        repo.insert_derivation(conn, campus_id, start, end, version, outcome.sha256_hex, interval_count,
                               estimated_count, recorded_until)
    return WindowDerivation(start, end, interval_count, estimated_count, version, outcome.sha256_hex, rejected)

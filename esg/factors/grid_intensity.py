"""Hourly location-based grid intensity from public feeds, as `HourlyGridIntensity` (g CO2e per MWh).

- Electricity Maps historical CSV: `Datetime (UTC)`, `Zone id`, `Carbon intensity gCO₂eq/kWh (direct)`,
  `Carbon-free energy percentage (CFE%)`, `Data estimated`. Scope 2 uses the *direct* (combustion) column;
  the life-cycle column includes upstream emissions (Scope 3) and is not read here.
- WattTime v3 `/v3/historical` JSON with `signal_type=co2_aoer` (average, "for accounting"): 5-minute points in
  lb CO2 per MWh; an hour is the mean of its points. CO2 only: the series' ref says so.
The caller states which eGRID subregion the series stands for; the feed's own zone id goes into the ref.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from common.errors import BadInput
from esg.factors.units import G_PER_LB

EMAPS_TIME = "Datetime (UTC)"
EMAPS_DIRECT_PREFIX = "Carbon intensity gCO"
EMAPS_CFE = "Carbon-free energy percentage (CFE%)"
EMAPS_ESTIMATED = "Data estimated"
KWH_PER_MWH = Decimal(1000)
ROWS_MAX = 200_000  # a year of 5-minute points is 105,120; anything larger is not one campus feed


@dataclass(frozen=True)
class HourlyGridIntensity:
    """An hourly location-based grid rate (direct/combustion basis, average not marginal), g CO2e per MWh."""

    zone: str
    source_ref: str
    g_co2e_per_mwh: Mapping[datetime, Decimal]
    estimated_hours: frozenset[datetime] = frozenset()
    carbon_free_fraction: Mapping[datetime, Decimal] = field(default_factory=dict)


def parse_electricitymaps_csv(text: str, source_name: str, egrid_subregion: str) -> HourlyGridIntensity:
    reader = csv.DictReader(io.StringIO(text))
    fields = reader.fieldnames or []
    direct = next((f for f in fields if f.startswith(EMAPS_DIRECT_PREFIX) and f.endswith("(direct)")), None)
    if direct is None or EMAPS_TIME not in fields:
        raise BadInput(
            source_name, 1, direct or EMAPS_TIME, "needs the UTC time and the direct intensity columns"
        )
    values: dict[datetime, Decimal] = {}
    carbon_free: dict[datetime, Decimal] = {}
    estimated: set[datetime] = set()
    zones: set[str] = set()
    for line, row in enumerate(reader, start=2):
        if line > ROWS_MAX:
            raise BadInput(source_name, line, None, f"more than {ROWS_MAX} rows")
        hour = _hour_utc(source_name, line, EMAPS_TIME, row[EMAPS_TIME])
        values[hour] = _decimal(source_name, line, direct, row[direct]) * KWH_PER_MWH
        if row.get(EMAPS_CFE, "").strip():
            carbon_free[hour] = _decimal(source_name, line, EMAPS_CFE, row[EMAPS_CFE]) / 100
        if row.get(EMAPS_ESTIMATED, "").strip().lower() == "true":
            estimated.add(hour)
        zones.add(row.get("Zone id", "").strip())
    zone_text = ",".join(sorted(z for z in zones if z)) or "unknown-zone"
    return HourlyGridIntensity(
        egrid_subregion,
        f"electricitymaps/{zone_text}/direct/{source_name}",
        values,
        frozenset(estimated),
        carbon_free,
    )


def parse_watttime_aoer_json(text: str, source_name: str, egrid_subregion: str) -> HourlyGridIntensity:
    try:
        document = json.loads(text)
        points = document["data"]
        meta = document.get("meta", {})
    except (ValueError, KeyError, TypeError) as error:
        raise BadInput(source_name, None, "data", "not a WattTime v3 historical response") from error
    if meta.get("signal_type") not in (None, "co2_aoer"):
        raise BadInput(
            source_name,
            None,
            "meta.signal_type",
            "inventories need the average rate co2_aoer, not a marginal one",
        )
    if len(points) > ROWS_MAX:
        raise BadInput(source_name, None, "data", f"more than {ROWS_MAX} points")
    sums: dict[datetime, Decimal] = defaultdict(Decimal)
    counts: dict[datetime, int] = defaultdict(int)
    estimated: set[datetime] = set()
    for index, point in enumerate(points):
        hour = _hour_utc(source_name, index, "point_time", str(point.get("point_time", "")))
        sums[hour] += _decimal(source_name, index, "value", str(point.get("value", "")))
        counts[hour] += 1
        if point.get("imputed_data_used"):
            estimated.add(hour)
    values = {hour: sums[hour] / counts[hour] * G_PER_LB for hour in sums}
    region = meta.get("region", "unknown-region")
    return HourlyGridIntensity(
        egrid_subregion, f"watttime/{region}/co2_aoer/CO2-only/{source_name}", values, frozenset(estimated)
    )


def _hour_utc(source: str, line: int, field: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError as error:
        raise BadInput(source, line, field, f"{text!r} is not a timestamp") from error
    # Electricity Maps CSVs give naive times in a column named UTC; anything with an offset is converted.
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


def _decimal(source: str, line: int, field: str, text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation as error:
        raise BadInput(source, line, field, f"{text!r} is not a number") from error
    if not value.is_finite() or value < 0:
        raise BadInput(source, line, field, f"{text!r} is not a non-negative number")
    return value

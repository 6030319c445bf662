"""Build the NYISO `powerMetering` request body (Metering API, iso-formats.md §3.4) from interval data.

Conventions fixed here and nowhere else:
- `dateHour` is the hour-BEGINNING in NYISO local prevailing time with its UTC offset
  (`2025-11-02T01:00:00-05:00` is the second 01:00 hour of the fall-back day); the offset is what makes the
  repeated hour unambiguous. NYISO labels hours beginning throughout its systems (Technical Bulletin 064); in its
  upload/download files the repeated hour is "HB 25" (`hour_beginning_label`, shown to operators beside dateHour).
- Energy is MWh with 4 decimals, rounded ROUND_HALF_EVEN once from the hour's integer Wh.
- Collections by our meter role: generation -> `generators` (channel `received` = station power, a negative
  withdrawal; any other channel = injection); grid_import / export -> `ties` (`meterTieFlowMwh`, import
  positive, export negative, netted per PTID and hour); tenant_consumption / shared_consumption -> `subzones`.
- An hour with any interval absent or marked missing is left out: NYISO wants missing data absent, never 0.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from campus import MeterRole
from common.errors import BadInput
from common.timeutil import require_utc
from market_adapters.hourly import HourlyEnergy, hourly_energy, read_interval_table
from market_adapters.model import IsoMeterRef
from market_adapters.prices import PriceRow

EASTERN = ZoneInfo("America/New_York")
MWH_QUANTUM = Decimal("0.0001")
WH_PER_MWH = Decimal(1_000_000)
CHANNEL_RECEIVED = "received"

# (collection, PTID field, measure field, sign applied to the meter's energy)
_ROLE_TARGETS: dict[str, tuple[str, str, int]] = {
    MeterRole.TENANT: ("subzones", "subzonePtid", 1),
    MeterRole.SHARED: ("subzones", "subzonePtid", 1),
    MeterRole.GRID_IMPORT: ("ties", "tiePtid", 1),
    MeterRole.EXPORT: ("ties", "tiePtid", -1),
}
COLLECTION_PTID_FIELDS = {"generators": "genPtid", "ties": "tiePtid", "subzones": "subzonePtid"}


@dataclass(frozen=True)
class _Contribution:
    collection: str
    ptid: int
    measure: str
    hour_start_utc: datetime
    energy_wh: int
    complete: bool


def build_power_metering_document(
    intervals_uri: str,
    meters: Sequence[IsoMeterRef],
    period_start_utc: datetime,
    period_end_utc: datetime,
    market_tz: ZoneInfo,
    user_request_id: str,
) -> dict[str, Any]:
    """The JSON-able `powerMetering` body for `meters` over `[period_start_utc, period_end_utc)`.

    Reads INTERVAL_SCHEMA Parquet at `intervals_uri`. `doNotCommit` is False here; the client sets the dry run.
    """
    start_utc = require_utc(period_start_utc, "period_start_utc")
    end_utc = require_utc(period_end_utc, "period_end_utc")
    assert start_utc.minute == 0 and end_utc.minute == 0, "NYISO periods are whole hours"
    by_meter = {meter.meter_id: meter for meter in meters}
    table = read_interval_table(intervals_uri, by_meter.keys(), start_utc, end_utc)
    hours = hourly_energy(table, intervals_uri)
    contributions = [_contribution(by_meter[hour.meter_id], hour) for hour in hours]
    document: dict[str, Any] = {
        "submissionParameters": {"doNotCommit": False, "userRequestId": user_request_id}}
    for collection, records in _records_by_collection(contributions, market_tz).items():
        if records:
            document[collection] = records
    return document


def _contribution(meter: IsoMeterRef, hour: HourlyEnergy) -> _Contribution:
    try:
        ptid = int(meter.iso_meter_id)
    except ValueError as error:
        raise BadInput("meters", None, "iso_meter_id", f"meter {meter.meter_id}: NYISO PTID must be an integer, "
                                                        f"got {meter.iso_meter_id!r}") from error
    if meter.role == MeterRole.GENERATION:
        received = hour.channel == CHANNEL_RECEIVED
        measure = "meterWithdrawalEnergyMwh" if received else "meterInjectionEnergyMwh"
        return _Contribution("generators", ptid, measure, hour.hour_start_utc,
                             -hour.energy_wh if received else hour.energy_wh, hour.complete)
    if meter.role not in _ROLE_TARGETS:
        raise BadInput("meters", None, "role", f"meter {meter.meter_id}: role {meter.role!r} has no NYISO collection")
    collection, _, sign = _ROLE_TARGETS[meter.role]
    measure = "meterTieFlowMwh" if collection == "ties" else "meterSubzoneLoadMwh"
    return _Contribution(collection, ptid, measure, hour.hour_start_utc, sign * hour.energy_wh, hour.complete)


def _records_by_collection(contributions: Iterable[_Contribution],
                           market_tz: ZoneInfo) -> dict[str, list[dict[str, Any]]]:
    # Sum every contribution to its (collection, PTID, hour, measure); one incomplete part spoils the record.
    sums: dict[tuple[str, int, datetime], dict[str, int]] = {}
    spoiled: set[tuple[str, int, datetime]] = set()
    for part in contributions:
        key = (part.collection, part.ptid, part.hour_start_utc)
        measures = sums.setdefault(key, {})
        measures[part.measure] = measures.get(part.measure, 0) + part.energy_wh
        if not part.complete:
            spoiled.add(key)
    records: dict[str, list[dict[str, Any]]] = {name: [] for name in COLLECTION_PTID_FIELDS}
    for key in sorted(sums):
        if key in spoiled:
            continue
        collection, ptid, hour_start_utc = key
        record: dict[str, Any] = {COLLECTION_PTID_FIELDS[collection]: ptid,
                        "dateHour": hour_start_utc.astimezone(market_tz).isoformat()}
        for measure, energy_wh in sorted(sums[key].items()):
            record[measure] = mwh_number(energy_wh)
        records[collection].append(record)
    return records


def mwh_number(energy_wh: int) -> float:
    """Wh as a JSON number of MWh with 4 decimals.

    The value is rounded as a Decimal first; a float made from a 4-decimal Decimal prints back as exactly
    that decimal (shortest repr), so the JSON text carries the exact rounded figure.
    """
    mwh = (Decimal(energy_wh) / WH_PER_MWH).quantize(MWH_QUANTUM, rounding=ROUND_HALF_EVEN)
    return float(mwh)


def hour_beginning_label(hour_start_utc: datetime) -> str:
    """NYISO's upload/download label of the hour starting `hour_start_utc`: `MM/DD/YYYY HB hh` in Eastern
    prevailing time, with the second 01:00 of the fall-back day as `HB 25` and no `HB 02` on the spring-forward
    day (Technical Bulletin 064)."""
    local = require_utc(hour_start_utc, "hour_start_utc").astimezone(EASTERN)
    assert local.minute == 0 and local.second == 0 and local.microsecond == 0, "an hour start"
    hour = HOUR_REPEATED_LABEL if local.fold else local.hour
    return f"{local:%m/%d/%Y} HB {hour:02d}"


HOUR_REPEATED_LABEL = 25


def read_back_time_text(instant_utc: datetime, market_tz: ZoneInfo) -> str:
    """A read-back query bound (`startTime`/`endTime`) as Eastern wall time with its offset."""
    return require_utc(instant_utc, "instant_utc").astimezone(market_tz).isoformat()


LBMP_HEADER = ('"Time Stamp","Name","PTID","LBMP ($/MWHr)","Marginal Cost Losses ($/MWHr)",'
               '"Marginal Cost Congestion ($/MWHr)"')


def format_lbmp_csv(rows: Iterable[PriceRow], ptids: dict[str, int], *, stamp_is_end: bool) -> str:
    """Write PriceRows as a NYISO MIS LBMP CSV (the inverse of parse.parse_lbmp_csv; used by the fake ISO).

    Stamps are Eastern wall time in file order, so a repeated fall-back hour appears twice; congestion is
    published with NYISO's reversed sign.
    """
    lines = [LBMP_HEADER]
    for row in sorted(rows, key=lambda r: (r.interval_start_utc, r.node)):
        stamp_utc = row.interval_start_utc + timedelta(minutes=row.interval_minutes) * int(stamp_is_end)
        wall = stamp_utc.astimezone(EASTERN).replace(tzinfo=None)
        loss = row.loss_usd_per_mwh if row.loss_usd_per_mwh is not None else Decimal(0)
        congestion = row.congestion_usd_per_mwh if row.congestion_usd_per_mwh is not None else Decimal(0)
        lines.append(f'"{wall:%m/%d/%Y %H:%M}","{row.node}",{ptids[row.node]},{row.lmp_usd_per_mwh},{loss},'
                     f"{-congestion}")
    return "\n".join(lines) + "\n"


USER_REQUEST_ID_LENGTH_MAX = 30


def user_request_id_for(submission_key: str) -> str:
    """A NYISO `userRequestId` (1-30 of [A-Za-z0-9_-]) derived from our business key, stable across retries.

    Other characters become `-`; a longer key keeps its first 21 characters plus 8 hex of its sha256, so two
    keys that share a long prefix still differ.
    """
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in submission_key)
    if len(cleaned) <= USER_REQUEST_ID_LENGTH_MAX:
        return cleaned
    digest = hashlib.sha256(submission_key.encode()).hexdigest()[:8]
    return f"{cleaned[:USER_REQUEST_ID_LENGTH_MAX - 9]}-{digest}"

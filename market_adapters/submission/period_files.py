"""A billing period's meter data as the files of a file-based ISO: ERCOT LSE files, PJM Power Meter files.

The file layouts live in `ercot/lse_format.py` and `pjm/power_meter_xml.py` (both partly unconfirmed, see there);
this module only decides which files a period needs: one LSE file per ISO meter covering every Central
operating day the period touches, and one Power Meter file per Eastern operating day. A period that is not
aligned with the market's days (a campus outside the market's zone) gives partial first and last days; their
other intervals belong to the neighbouring period's files.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from common.errors import BadInput
from common.timeutil import require_utc
from intervals import MeterIntervals, read_intervals
from market_adapters.clock import operating_day_bounds_utc
from market_adapters.ercot.lse_format import (
    DAYS_MAX,
    LSE_CHANNEL_BY_ROLE,
    LseFile,
    build_lse_file,
)
from market_adapters.ercot.parse import CENTRAL
from market_adapters.hourly import read_interval_table
from market_adapters.model import IsoMeterRef
from market_adapters.pjm.power_meter import ROLES as POWER_METER_ROLES
from market_adapters.pjm.power_meter import PowerMeterFile
from market_adapters.pjm.power_meter_xml import build_hourly_meter_values

LSE_SEQUENCE_MAX = 999  # the file name's <NNN>: one creation stamp names at most 999 files
CHANNEL_DEFAULT = "main"  # a meter's channel when its files name none (the campus file's default)


def operating_days(period_start_utc: datetime, period_end_utc: datetime, market_tz: ZoneInfo) -> list[date]:
    """Every local operating day of the market that overlaps `[period_start_utc, period_end_utc)`."""
    first = require_utc(period_start_utc, "period_start_utc").astimezone(market_tz).date()
    last_instant_utc = require_utc(period_end_utc, "period_end_utc") - timedelta(microseconds=1)
    last = last_instant_utc.astimezone(market_tz).date()
    assert first <= last, "the period is not empty"
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def lse_meters(meters: Sequence[IsoMeterRef]) -> list[IsoMeterRef]:
    """Meters an LSE file carries: electricity meters (LSE channel 1 or 4); a fuel meter measures heat."""
    return [meter for meter in meters if meter.role in LSE_CHANNEL_BY_ROLE]


def power_meter_accounts(meters: Sequence[IsoMeterRef]) -> list[IsoMeterRef]:
    """Generator and tie meters: tenant and shared sub-meters sit behind PJM's revenue meter."""
    return [meter for meter in meters if meter.role in POWER_METER_ROLES]


def ercot_lse_files(intervals_uri: str, meters: Sequence[IsoMeterRef], days: Sequence[date], duns: str,
                    created_at_utc: datetime) -> list[LseFile]:
    """One LSE file per meter over `days` (sequence 1, 2, ... in the order given), all with one stamp; the
    interval file is read once for all of them."""
    if len(meters) > LSE_SEQUENCE_MAX:
        raise BadInput(intervals_uri, None, "meter_id",
                       f"{len(meters)} ISO meters; one creation stamp names at most {LSE_SEQUENCE_MAX} files")
    if len(days) > DAYS_MAX:
        raise BadInput(intervals_uri, None, "interval_start_utc",
                       f"{len(days)} days; an LSE file holds at most {DAYS_MAX}")
    intervals = read_intervals(intervals_uri)
    channels = _source_channels(intervals, meters, days)
    return [build_lse_file(intervals, meter, channels[meter.meter_id], days[0], days[-1], duns,
                           created_at_utc, sequence)
            for sequence, meter in enumerate(meters, start=1)]


def pjm_power_meter_files(intervals_uri: str, meters: Sequence[IsoMeterRef], days: Sequence[date],
                          created_at_utc: datetime) -> list[PowerMeterFile]:
    """One Power Meter daily-submission XML per operating day, every account in each; the interval file is read
    once."""
    intervals = read_intervals(intervals_uri)
    return [build_hourly_meter_values(intervals, meters, day, created_at_utc) for day in days]


def _source_channels(intervals: MeterIntervals, meters: Sequence[IsoMeterRef],
                     days: Sequence[date]) -> dict[str, str]:
    """The one channel each meter's data carries. An LSE file holds one channel per ESI ID, so a meter with
    two is refused rather than one of them left out; a meter without data gets a file of blanks."""
    start_utc, _ = operating_day_bounds_utc(days[0], CENTRAL)
    _, end_utc = operating_day_bounds_utc(days[-1], CENTRAL)
    table = read_interval_table(intervals, [meter.meter_id for meter in meters], start_utc, end_utc)
    found: dict[str, set[str]] = {}
    for pair in table.group_by(["meter_id", "channel"]).aggregate([]).to_pylist():
        found.setdefault(pair["meter_id"], set()).add(pair["channel"])
    channels = {}
    for meter in meters:
        names = sorted(found.get(meter.meter_id, {CHANNEL_DEFAULT}))
        if len(names) != 1:
            raise BadInput(intervals.uri, None, "channel",
                           f"meter {meter.meter_id}: an LSE file carries one channel; the data has {names}")
        channels[meter.meter_id] = names[0]
    return channels

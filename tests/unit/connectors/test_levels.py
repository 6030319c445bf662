"""A level channel (a battery's state of charge) becomes the level at each interval end, never a difference: the
reading at the boundary within 1 s, else the last one at most a hold time before it (estimated), else missing;
uncertain and clock-skewed readings are suspect, levels outside [0, capacity] rejected. Figures worked by hand in
each test. Pure: no broker, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from campus import Meter, MeterRole, StorageAsset
from connectors.channels import declarations_from_campus, level_rules, state_of_charge_asset
from connectors.intervals import DerivedInterval, IntervalFlag, meterdata_quality
from connectors.levels import LevelRules, derive_levels
from connectors.reading import ReadingQuality, RegisterReading
from meterdata.schema import QUALITY_ESTIMATED, QUALITY_MEASURED, QUALITY_SUSPECT

DAY = datetime(2026, 11, 3, tzinfo=UTC)
RULES = LevelRules(15, level_wh_max=4_000_000, hold_max=timedelta(minutes=15))


def at(hh: int, mm: int, ss: float = 0) -> datetime:
    return DAY.replace(hour=hh, minute=mm) + timedelta(seconds=ss)


def level(ts: datetime, stored_wh: int | None, quality: ReadingQuality = ReadingQuality.GOOD,
          received: datetime | None = None) -> RegisterReading:
    return RegisterReading("BESS-D", "soc", ts, received or ts + timedelta(milliseconds=40), stored_wh, quality,
                           str(stored_wh))


def levels(intervals: tuple[DerivedInterval, ...]) -> list[tuple[str, int, IntervalFlag]]:
    return [(f"{i.interval_start_utc:%H:%M}", i.energy_wh, i.flags) for i in intervals]


def test_a_falling_level_is_written_at_each_end_never_differenced() -> None:
    """Readings at 10:00, 10:15 and 10:30 (3.0, 2.5, 2.8 MWh): the 10:00 interval ends at 2.5 MWh and the 10:15 one
    at 2.8 MWh, both measured; a register's rule would have called 2.5 after 3.0 a reset."""
    derived = derive_levels([level(at(10, 0), 3_000_000), level(at(10, 15), 2_500_000),
                             level(at(10, 30), 2_800_000)], RULES, at(10, 0), at(10, 30))
    assert levels(derived.intervals) == [("10:00", 2_500_000, IntervalFlag.NONE),
                                         ("10:15", 2_800_000, IntervalFlag.NONE)]
    assert derived.missing_ends_utc == () and derived.rejected == ()
    assert meterdata_quality(derived.intervals[0].flags) == QUALITY_MEASURED


def test_the_reading_nearest_the_boundary_within_a_second_is_measured() -> None:
    """End 10:15. Readings at 10:14:59.2 (2,000,000) and 10:15:00.6 (1,999,000): both within 1 s; the earlier is
    0.8 s away, the later 0.6 s, so the later one (1,999,000) is the level. At 10:29:59.5 and 10:30:00.5 both are
    0.5 s away: the tie goes to the one at or before the end (1,990,000)."""
    derived = derive_levels([level(at(10, 14, 59.2), 2_000_000), level(at(10, 15, 0.6), 1_999_000),
                             level(at(10, 29, 59.5), 1_990_000), level(at(10, 30, 0.5), 1_989_000)],
                            RULES, at(10, 0), at(10, 30))
    assert levels(derived.intervals) == [("10:00", 1_999_000, IntervalFlag.NONE),
                                         ("10:15", 1_990_000, IntervalFlag.NONE)]


def test_a_level_held_from_before_the_end_is_estimated_and_an_older_one_is_missing() -> None:
    """Readings at 10:05 (1.5 MWh) and 10:50 (1.2 MWh), hold 15 min. End 10:15: 10:05 is 10 min before, held,
    estimated. End 10:30: the last reading is 25 min old: missing. End 10:45: 40 min old: missing. End 11:00:
    10:50 is 10 min before, held. Nothing comes from a reading after an end (10:50 gives no level at 10:45)."""
    derived = derive_levels([level(at(10, 5), 1_500_000), level(at(10, 50), 1_200_000)], RULES,
                            at(10, 0), at(11, 0))
    assert levels(derived.intervals) == [("10:00", 1_500_000, IntervalFlag.LEVEL_HELD),
                                         ("10:45", 1_200_000, IntervalFlag.LEVEL_HELD)]
    assert derived.missing_ends_utc == (at(10, 30), at(10, 45))
    assert meterdata_quality(IntervalFlag.LEVEL_HELD) == QUALITY_ESTIMATED


def test_bad_null_and_out_of_range_levels_are_not_used() -> None:
    """End 10:15: the reading at the end is bad, so the 10:10 one (held, 900,000) gives the level. End 10:30: the
    reading at the end is 4,000,001 Wh, above the 4,000,000 Wh capacity: rejected; the 10:25 one (−5, below zero)
    too; 10:10 is 20 min old: missing."""
    derived = derive_levels([level(at(10, 10), 900_000), level(at(10, 15), None, ReadingQuality.BAD),
                             level(at(10, 25), -5), level(at(10, 30), 4_000_001)], RULES, at(10, 0), at(10, 30))
    assert levels(derived.intervals) == [("10:00", 900_000, IntervalFlag.LEVEL_HELD)]
    assert derived.missing_ends_utc == (at(10, 30),)
    assert [r.source_ts_utc for r in derived.rejected] == [at(10, 25), at(10, 30)]


def test_clock_skew_and_uncertain_values_make_the_level_suspect() -> None:
    """End 10:15: the device's clock is 90 s ahead of its receipt (beyond 2 s): time questionable. End 10:30: the
    source marked the value uncertain. Both stay the level, suspect."""
    derived = derive_levels([level(at(10, 15), 700_000, received=at(10, 13, 30)),
                             level(at(10, 30), 650_000, ReadingQuality.UNCERTAIN)], RULES, at(10, 0), at(10, 30))
    assert levels(derived.intervals) == [("10:00", 700_000, IntervalFlag.TIME_QUESTIONABLE),
                                         ("10:15", 650_000, IntervalFlag.UNCERTAIN_VALUE)]
    assert all(meterdata_quality(i.flags) == QUALITY_SUSPECT for i in derived.intervals)


def test_the_state_of_charge_channel_of_the_discharge_meter_is_the_level_and_others_registers() -> None:
    """The battery's `state_of_charge_channel` on its discharge meter is a level, held at most the meter's
    15-minute interval, capped at the usable capacity; the meter's main channel and a same-named channel of
    another meter are registers."""
    asset = StorageAsset("bess1", "BESS-C", "BESS-D", 4_000_000, 1_000, 800, 950, state_of_charge_channel="soc")
    entries = [{"meter": meter, "channel": channel, "protocol": "modbus_tcp", "unit": "Wh", "modbus_tcp": {}}
               for meter, channel in (("BESS-D", "soc"), ("BESS-D", "main"), ("OTHER", "soc"))]
    found = [state_of_charge_asset(d, [asset]) for d in declarations_from_campus(entries)]
    assert found == [asset, None, None]
    meter = Meter("BESS-D", MeterRole.STORAGE_DISCHARGE, "Wh", 15)
    assert level_rules(meter, asset) == LevelRules(15, 4_000_000, timedelta(minutes=15))

"""Cumulative registers become interval energy: wraps, resets, meter exchanges, gaps, interpolated boundaries,
clock skew, order and duplicates (docs/connectors.md; the pitfalls of the connectors notes §7, items 1, 2, 5, 6,
7 and 15). Every expected figure is worked by hand in the test's comments. Pure: no broker, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from campus import Device, Meter, MeterRole
from connectors.channels import channel_rules, declarations_from_campus, multiplier_at, register_modulus_wh
from connectors.intervals import (
    ChannelRules,
    DerivedInterval,
    IntervalFlag,
    derive_intervals,
    meterdata_quality,
    order_readings,
)
from connectors.reading import ReadingQuality, RegisterReading, scaled_register_wh
from meterdata.schema import QUALITY_ESTIMATED, QUALITY_MEASURED, QUALITY_SUSPECT

DAY = datetime(2026, 11, 3, tzinfo=UTC)
NONE = IntervalFlag.NONE
INTERP = IntervalFlag.BOUNDARY_INTERPOLATED
GAP = IntervalFlag.ESTIMATED_BY_REGISTER


def at(hh: int, mm: int, ss: int = 0) -> datetime:
    return DAY.replace(hour=hh, minute=mm, second=ss)


def reading(ts: datetime, register_wh: int | None, serial: str | None = None,
            quality: ReadingQuality = ReadingQuality.GOOD, received: datetime | None = None) -> RegisterReading:
    return RegisterReading("M1", "main", ts, received or ts + timedelta(milliseconds=40), register_wh, quality,
                           str(register_wh), serial)


def energies(intervals: tuple[DerivedInterval, ...]) -> list[tuple[str, int, IntervalFlag]]:
    return [(f"{i.interval_start_utc:%H:%M}", i.energy_wh, i.flags) for i in intervals]


QUARTER = ChannelRules(15, register_modulus_wh=2**32, power_max_w=100_000)


def test_a_uint32_wrap_gives_the_energy_across_the_wrap() -> None:
    """4,294,967,000 → 1,200 on a 2^32 register: 1,200 + 4,294,967,296 − 4,294,967,000 = 1,496 Wh, measured.
    The limit is 100 kW × 0.25 h × 1.1 = 27,500 Wh, so the wrap is plausible."""
    derived = derive_intervals([reading(at(10, 0), 4_294_967_000), reading(at(10, 15), 1_200)], QUARTER,
                               at(10, 0), at(10, 15))
    assert energies(derived.intervals) == [("10:00", 1_496, NONE)]


def test_an_energy_format_wrap_at_ten_to_the_eight_units() -> None:
    """An 8-digit kWh register wraps at 10^8 kWh = 10^11 Wh (from the declaration's digits and unit):
    99,999,950 kWh → 30 kWh is 30,000 + 10^11 − 99,999,950,000 = 80,000 Wh."""
    declaration = declarations_from_campus([{"meter": "M1", "protocol": "mqtt_json", "unit": "kWh",
                                             "register_modulus": "100000000", "mqtt_json": {}}])[0]
    modulus_wh = register_modulus_wh(declaration, Decimal(1))
    assert modulus_wh == 10**11
    rules = ChannelRules(15, register_modulus_wh=modulus_wh, power_max_w=1_000_000)
    derived = derive_intervals([reading(at(10, 0), 99_999_950_000), reading(at(10, 15), 30_000)], rules,
                               at(10, 0), at(10, 15))
    assert energies(derived.intervals) == [("10:00", 80_000, NONE)]


def test_a_drop_too_large_to_be_a_wrap_is_a_flagged_reset() -> None:
    """3,000,000,000 → 5,000: a wrap would be 5,000 + 2^32 − 3·10^9 = 1,294,972,296 Wh in 15 min, far above
    27,500 Wh; 5,000 Wh since zero is plausible, so it is a reset: 5,000 Wh, questionable (suspect)."""
    derived = derive_intervals([reading(at(10, 0), 3_000_000_000), reading(at(10, 15), 5_000)], QUARTER,
                               at(10, 0), at(10, 15))
    assert energies(derived.intervals) == [("10:00", 5_000, IntervalFlag.RESET_SPAN)]
    assert meterdata_quality(derived.intervals[0].flags) == QUALITY_SUSPECT


def test_a_decrease_neither_wrap_nor_reset_is_rejected_and_bridged() -> None:
    """3,000,000,000 → 2,000,000,000 is neither (both readings far above 27,500 Wh): the 10:15 reading is rejected;
    10:30 reads 3,000,010,000, so the 10,000 Wh from 10:00 split by time into 5,000 + 5,000 around an
    interpolated 10:15 boundary."""
    readings = [reading(at(10, 0), 3_000_000_000), reading(at(10, 15), 2_000_000_000),
                reading(at(10, 30), 3_000_010_000)]
    derived = derive_intervals(readings, QUARTER, at(10, 0), at(10, 30))
    assert energies(derived.intervals) == [("10:00", 5_000, INTERP), ("10:15", 5_000, INTERP)]
    assert [r.source_ts_utc for r in derived.rejected] == [at(10, 15)]


def test_a_meter_exchange_is_never_differenced_across_the_two_devices() -> None:
    """Old device A: 50,000,000 at 10:00, 50,001,000 at 10:05; new device B: 400 at 10:10, 1,400 at 10:15.
    Without exchange reads: removal = A's last reading, install = 0, so the exchange step is 0 + 400 and the
    interval is 1,000 + 400 + 1,000 = 2,400 Wh (not −49,999,600). With the removal read 50,001,300 and install
    read 100 from the exchange record: 300 + 300 = 600, so 2,600 Wh. Flagged questionable either way."""
    readings = [reading(at(10, 0), 50_000_000, "A"), reading(at(10, 5), 50_001_000, "A"),
                reading(at(10, 10), 400, "B"), reading(at(10, 15), 1_400, "B")]
    derived = derive_intervals(readings, QUARTER, at(10, 0), at(10, 15))
    assert energies(derived.intervals) == [("10:00", 2_400, IntervalFlag.RESET_SPAN)]
    known = ChannelRules(15, 2**32, 100_000, removal_reads_wh={"A": 50_001_300}, install_reads_wh={"B": 100})
    derived = derive_intervals(readings, known, at(10, 0), at(10, 15))
    assert energies(derived.intervals) == [("10:00", 2_600, IntervalFlag.RESET_SPAN)]


def test_a_meter_exchange_mid_interval_leaves_the_next_interval_measured() -> None:
    """The exchange taints only the interval it falls in: 10:15–10:30 on device B alone is 1,400 → 2,900 =
    1,500 Wh, measured."""
    readings = [reading(at(10, 0), 50_000_000, "A"), reading(at(10, 10), 400, "B"),
                reading(at(10, 15), 1_400, "B"), reading(at(10, 30), 2_900, "B")]
    derived = derive_intervals(readings, QUARTER, at(10, 0), at(10, 30))
    assert energies(derived.intervals) == [("10:00", 1_400, IntervalFlag.RESET_SPAN), ("10:15", 1_500, NONE)]


def test_a_primary_reporting_meter_is_never_multiplied_and_a_secondary_one_takes_the_ratio_in_force() -> None:
    """The meter's CT × VT is 200 on device A until 1 June, 400 on device B after. A primary-reporting channel
    scales 1,234.5 kWh to 1,234,500 Wh whatever the ratio; a secondary one gives 246,900,000 Wh (× 200) in May
    and 493,800,000 Wh (× 400) in July."""
    june = datetime(2026, 6, 1, tzinfo=UTC)
    meter = Meter("M1", MeterRole.GENERATION, "kWh", 15, multiplier=Decimal(200),
                  devices=(Device("A", Decimal(200), None, june), Device("B", Decimal(400), june, None)))
    entry = {"meter": "M1", "protocol": "mqtt_json", "unit": "kWh", "mqtt_json": {}}
    primary = declarations_from_campus([entry])[0]
    secondary = declarations_from_campus([{**entry, "reports": "secondary"}])[0]
    may, july = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)
    raw = 1234.5
    assert scaled_register_wh(raw, primary.unit, 0, multiplier_at(primary, meter, may)) == 1_234_500
    assert scaled_register_wh(raw, primary.unit, 0, multiplier_at(primary, meter, july)) == 1_234_500
    assert scaled_register_wh(raw, secondary.unit, 0, multiplier_at(secondary, meter, may)) == 246_900_000
    assert scaled_register_wh(raw, secondary.unit, 0, multiplier_at(secondary, meter, july)) == 493_800_000


def test_channel_rules_take_the_modulus_in_primary_wh_and_the_rating_as_power_limit() -> None:
    """A UINT32 register of 0.1 kWh on a secondary meter of ratio 40: 2^32 × 0.1 × 1,000 × 40 Wh; 3,000 kW
    rated is 3,000,000 W."""
    meter = Meter("M1", MeterRole.GENERATION, "kWh", 15, rated_kw=3_000, multiplier=Decimal(40))
    declaration = declarations_from_campus([{"meter": "M1", "protocol": "mqtt_json", "unit": "kWh",
                                             "scale_power_of_ten": -1, "reports": "secondary",
                                             "register_modulus": "4294967296", "mqtt_json": {}}])[0]
    rules = channel_rules(declaration, meter, DAY)
    assert (rules.register_modulus_wh, rules.power_max_w) == (2**32 * 100 * 40, 3_000_000)


def test_a_47_minute_gap_keeps_the_register_difference_to_the_wh() -> None:
    """Readings 1,000,000 (10:00), 1,000,500 (10:05), then nothing until 1,010,000 (10:52), then 1,010,800 (11:00).
    The 9,500 Wh of the gap split by time over 10:05–10:15–10:30–10:45–10:52 (600, 900, 900, 420 s of 2,820):
    exact 2,021.28, 3,031.91, 3,031.91, 1,414.89; floors 9,497, the 3 units left go to the largest remainders
    (.91, .91, .89): 2,021, 3,032, 3,032, 1,415. Intervals: 500 + 2,021 = 2,521; 3,032; 3,032; 1,415 + 800 =
    2,215; they sum to 10,800 = 1,010,800 − 1,000,000, and the gap's pieces to 9,500 = R2 − R1."""
    readings = [reading(at(10, 0), 1_000_000), reading(at(10, 5), 1_000_500), reading(at(10, 52), 1_010_000),
                reading(at(11, 0), 1_010_800)]
    derived = derive_intervals(readings, QUARTER, at(10, 0), at(11, 0))
    assert energies(derived.intervals) == [
        ("10:00", 2_521, INTERP), ("10:15", 3_032, INTERP | GAP), ("10:30", 3_032, INTERP | GAP),
        ("10:45", 2_215, INTERP)]
    assert sum(i.energy_wh for i in derived.intervals) == 1_010_800 - 1_000_000
    assert all(meterdata_quality(i.flags) == QUALITY_ESTIMATED for i in derived.intervals)


def test_polls_either_side_of_a_boundary_interpolate_it_and_a_meter_log_value_supersedes() -> None:
    """Polls at 14:58 (12,600) and 15:03 (13,600): 15:00 is 2 s … 120 s from a poll, beyond the 1 s tolerance, so
    the step's 1,000 Wh splits 120 : 180 s = 400 : 600 and B(15:00) = 13,000. With 10,000 at 14:45 and 16,000 at
    15:15 both intervals are 3,000 Wh, flagged interpolated. The meter's own log value at 15:00:00 (12,950,
    replayed as historical) makes them 2,950 and 3,050, measured."""
    polls = [reading(at(14, 45), 10_000), reading(at(14, 58), 12_600), reading(at(15, 3), 13_600),
             reading(at(15, 15), 16_000)]
    derived = derive_intervals(polls, QUARTER, at(14, 45), at(15, 15))
    assert energies(derived.intervals) == [("14:45", 3_000, INTERP), ("15:00", 3_000, INTERP)]
    assert meterdata_quality(derived.intervals[0].flags) == QUALITY_ESTIMATED
    backfilled = [*polls, reading(at(15, 0), 12_950)]
    derived = derive_intervals(backfilled, QUARTER, at(14, 45), at(15, 15))
    assert energies(derived.intervals) == [("14:45", 2_950, NONE), ("15:00", 3_050, NONE)]
    assert meterdata_quality(derived.intervals[0].flags) == QUALITY_MEASURED


def test_a_reading_within_a_second_of_the_boundary_is_taken_as_measured() -> None:
    """A poll at 15:00:01 (13,000) is within the 1 s tolerance: it is the boundary; 3,000 + 3,000 Wh, measured."""
    polls = [reading(at(14, 45), 10_000), reading(at(15, 0, 1), 13_000), reading(at(15, 15), 16_000)]
    derived = derive_intervals(polls, QUARTER, at(14, 45), at(15, 15))
    assert energies(derived.intervals) == [("14:45", 3_000, NONE), ("15:00", 3_000, NONE)]


def test_a_device_clock_90_seconds_ahead_flags_the_intervals_it_touches() -> None:
    """The 10:15 reading was received at 10:13:30: its clock is 90 s ahead (beyond the 2 s tolerance), so both
    intervals it bounds are time-questionable (suspect); 10:30–10:45 is not."""
    readings = [reading(at(10, 0), 0), reading(at(10, 15), 1_000, received=at(10, 13, 30)),
                reading(at(10, 30), 2_000), reading(at(10, 45), 3_000)]
    derived = derive_intervals(readings, QUARTER, at(10, 0), at(10, 45))
    skew = IntervalFlag.TIME_QUESTIONABLE
    assert energies(derived.intervals) == [("10:00", 1_000, skew), ("10:15", 1_000, skew), ("10:30", 1_000, NONE)]
    assert meterdata_quality(derived.intervals[0].flags) == QUALITY_SUSPECT


def test_out_of_order_and_duplicate_readings_give_the_same_intervals() -> None:
    """Readings shuffled, one sent twice (a QoS 1 redelivery) and one sent again with another value (a conflict:
    the first kept): the same 1,000 + 1,000 Wh, one duplicate and one conflict counted."""
    ordered = [reading(at(10, 0), 0), reading(at(10, 15), 1_000), reading(at(10, 30), 2_000)]
    shuffled = [ordered[2], ordered[0], ordered[1], ordered[1], reading(at(10, 15), 9_999)]
    derived = derive_intervals(shuffled, QUARTER, at(10, 0), at(10, 30))
    assert energies(derived.intervals) == [("10:00", 1_000, NONE), ("10:15", 1_000, NONE)]
    assert (derived.duplicate_count, derived.conflict_count) == (1, 1)
    assert order_readings(shuffled).readings == tuple(ordered)


def test_bad_values_are_never_differenced_and_uncertain_ones_flag() -> None:
    """A BAD reading at 10:15 (null value) is skipped: the 2,000 Wh from 10:00 to 10:30 splits 1,000 : 1,000 at an
    interpolated boundary. An UNCERTAIN value is used but flags its intervals suspect."""
    readings = [reading(at(10, 0), 0), reading(at(10, 15), None, quality=ReadingQuality.BAD),
                reading(at(10, 30), 2_000, quality=ReadingQuality.UNCERTAIN)]
    derived = derive_intervals(readings, QUARTER, at(10, 0), at(10, 30))
    uncertain = IntervalFlag.UNCERTAIN_VALUE | INTERP
    assert energies(derived.intervals) == [("10:00", 1_000, uncertain), ("10:15", 1_000, uncertain)]


def test_nothing_is_extrapolated_beyond_the_readings() -> None:
    """Readings 10:05 to 10:40 bound only the boundaries 10:15 and 10:30: the one interval between them is
    given, 10:00–10:15 and 10:30–10:45 are left missing."""
    readings = [reading(at(10, 5), 0), reading(at(10, 40), 3_500)]
    derived = derive_intervals(readings, QUARTER, at(10, 0), at(10, 45))
    assert energies(derived.intervals) == [("10:15", 1_500, INTERP | GAP)]


def test_exchange_reads_of_the_campus_file_become_primary_wh_per_device() -> None:
    """Device A (CT 80) removed reading 1,234.5 kWh, device B (CT 120) installed reading 17.25 kWh. A secondary
    channel takes each read times its own device's ratio: A 1,234.5 × 1,000 × 80 = 98,760,000 Wh, B 17.25 × 1,000 ×
    120 = 2,070,000 Wh; a primary channel takes the reads as they are: 1,234,500 and 17,250 Wh."""
    june = datetime(2026, 6, 1, tzinfo=UTC)
    meter = Meter("M1", MeterRole.GENERATION, "kWh", 15,
                  devices=(Device("A", Decimal(80), None, june, removal_read_meter_units=Decimal("1234.5")),
                           Device("B", Decimal(120), june, None, install_read_meter_units=Decimal("17.25"))))
    entry = {"meter": "M1", "protocol": "mqtt_json", "unit": "kWh", "mqtt_json": {}}
    secondary = declarations_from_campus([{**entry, "reports": "secondary"}])[0]
    primary = declarations_from_campus([entry])[0]
    rules = channel_rules(secondary, meter, june)
    assert (rules.removal_reads_wh, rules.install_reads_wh) == ({"A": 98_760_000}, {"B": 2_070_000})
    rules = channel_rules(primary, meter, june)
    assert (rules.removal_reads_wh, rules.install_reads_wh) == ({"A": 1_234_500}, {"B": 17_250})

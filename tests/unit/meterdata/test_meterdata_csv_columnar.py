"""The columnar CSV path reads exactly what the row-by-row reader reads: the same readings, or the same first
refusal (file, line, field, reason), on generated files full of edge cases, in blocks small enough that every
file spans several of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campus import Device
from common.errors import BadInput
from meterdata import SITE_EXPORT_V1, CsvMapping, MeterSpec, csv_reader
from meterdata.csv_reader import read_csv, read_csv_rows
from meterdata.readings import ReadingColumns, ReadingWindow

SHA = "ab" * 32
EXCHANGE = datetime(2026, 10, 15, 16, tzinfo=UTC)
METERS = {
    "GT1-GEN": MeterSpec("GT1-GEN", "generation", "kWh", 15, multiplier=Decimal("0.2")),
    "GT1-FUEL": MeterSpec("GT1-FUEL", "fuel", "MMBtu", 15),
    "FIVE": MeterSpec("FIVE", "shared_consumption", "kW", 5, multiplier=Decimal("1.000003")),
    "WINDOWED": MeterSpec("WINDOWED", "shared_consumption", "kWh", 60,
                          active_from_utc=datetime(2026, 10, 2, tzinfo=UTC),
                          active_to_utc=datetime(2026, 10, 20, 0, 30, tzinfo=UTC)),
    "SWAPPED": MeterSpec("SWAPPED", "grid_import", "kWh", 15, devices=(
        Device("SN-OLD", Decimal(80), None, EXCHANGE), Device("SN-NEW", Decimal("0.4"), EXCHANGE))),
}
WINDOWS = [
    ReadingWindow(datetime(2026, 10, 1, 4, tzinfo=UTC), datetime(2026, 11, 1, 4, tzinfo=UTC),
                  datetime(2026, 12, 1, tzinfo=UTC)),
    ReadingWindow(datetime(2026, 10, 1, 4, tzinfo=UTC), datetime(2026, 10, 20, tzinfo=UTC),
                  datetime(2026, 10, 25, tzinfo=UTC), "skip"),
]
NAMES = ["GT1-GEN", "GT1-FUEL", "FIVE", "WINDOWED", "SWAPPED", "SN-OLD", "SN-NEW", "NOPE", " FIVE", ""]
# Plain fields fit most meters: mostly valid, so that whole blocks take the columnar path.
UNITS = ["kWh", "Wh", "MWh", "kW", "W", "MW", "MMBtu", "therm", "kwh", " kWh", ""]
PLAIN_STAMPS = st.builds(
    lambda day, hour, minute, offset: f"2026-10-{day:02d}T{hour:02d}:{minute:02d}:00{offset}",
    st.integers(2, 19), st.integers(0, 23), st.sampled_from([0, 5, 15, 30, 45]),
    st.sampled_from(["Z", "-04:00", "+00:00", "+05:30", "-00:00"]))
ODD_STAMPS = st.sampled_from([
    "2026-10-01T04:00:00", "2026-02-30T00:00:00Z", "2026-10-01 04:00:00Z", "2026-10-01T04:00:00.5Z",
    "2026-10-01T24:00:00Z", "2026-10-01T04:00:60Z", "2026-10-01T04:00:00+24:00", "2026-10-01T04:00Z",
    "yesterday", "", " 2026-10-01T04:00:00Z", "2026-10-01T04:00:00z", "2026-10-01T04:00:00+0400",
    "2026-11-01T04:00:00Z", "2026-09-30T23:45:00-04:00", "2026-12-31T00:00:00Z", "2024-02-29T12:00:00Z",
    "2026-10-01T03:59:00Z", "2026-10-31T23:59:00Z", "2026-10-20T00:00:00Z", "2026-10-15T16:00:00Z",
])
PLAIN_VALUES = st.builds(lambda whole, decimals: f"{whole}" + (f".{decimals}" if decimals else ""),
                         st.integers(-10**9, 10**9), st.sampled_from(["", "0", "5", "25", "125", "0125", "9999999"]))
ODD_VALUES = st.sampled_from([
    "", " ", "1e3", "NaN", "Infinity", "+1", ".5", "5.", "-", ".", "1.2.3", "1,5", " 7 ", "0." + "7" * 70,
    "12345678901234567", "123456789012345678", "0.00000000000000001", "-0", "１", "1_000", "--1",
])


@st.composite
def site_export(draw: st.DrawFn) -> bytes:
    """Mostly plain files, some with a few odd fields or lines: plain blocks and odd ones in one file."""
    odd_percent = draw(st.sampled_from([0, 0, 2, 10, 40]))

    def pick(plain: st.SearchStrategy[str], odd: st.SearchStrategy[str]) -> str:
        return draw(odd if draw(st.integers(0, 99)) < odd_percent else plain)

    lines = ["meter_id,interval_start,value,unit"]
    for _ in range(draw(st.integers(0, 40))):
        name = pick(st.sampled_from(NAMES[:5]), st.sampled_from(NAMES))
        stamp = pick(PLAIN_STAMPS, ODD_STAMPS)
        value = pick(PLAIN_VALUES, ODD_VALUES)
        fitting = ["MMBtu", "therm"] if name == "GT1-FUEL" else ["kWh", "Wh", "MWh", "kW", "W", "MW"]
        unit = pick(st.sampled_from(fitting), st.sampled_from(UNITS))
        fields = [name, stamp, value, unit]
        shape = pick(st.just(""), st.sampled_from(["short", "long", "quoted", "blank"]))
        if shape == "short":
            fields = fields[:3]
        elif shape == "long":
            fields.append("extra")
        elif shape == "quoted":
            fields[0] = f'"{fields[0]}"'
        lines.append("" if shape == "blank" else ",".join(fields))
    ending = pick(st.sampled_from(["\n", "\r\n"]), st.just("\r"))
    data = ending.join(lines).encode()
    if draw(st.booleans()):
        data += ending.encode()
    if odd_percent and draw(st.integers(0, 5)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\x00", b"\xe2\x28", b'"', b"\r"])) + data[at:]
    if draw(st.integers(0, 10)) == 0:
        data = b"\xef\xbb\xbf" + data
    return data


def _outcome(reader, data: bytes, mapping: CsvMapping, window: ReadingWindow):
    out = ReadingColumns()
    try:
        count = reader(data, "site.csv", SHA, mapping, METERS, window, out)
    except BadInput as error:
        return ("refused", error.source, error.line, error.field, error.reason)
    rows = list(zip(out.meter_id, out.channel, out.interval_start_us, out.interval_minutes, out.energy_wh,
                    out.quality, out.source_sha256, out.source_row, strict=True))
    return ("read", count, rows)


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", 97)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=site_export(), window=st.sampled_from(WINDOWS))
def test_columnar_reading_equals_the_row_by_row_reading(small_blocks: None, data: bytes,
                                                        window: ReadingWindow) -> None:
    assert _outcome(read_csv, data, SITE_EXPORT_V1, window) == _outcome(read_csv_rows, data, SITE_EXPORT_V1, window)


POWER_ENDING = CsvMapping(name="p", meter_column="m", time_column="t", value_column="v", unit="kW",
                          time_label="ending", channel_column="c", interval_minutes_column="n",
                          thousands_separator=",", decimal_mark=".")


@st.composite
def power_export(draw: st.DrawFn) -> bytes:
    lines = ["m,t,v,c,n"]
    for _ in range(draw(st.integers(0, 30))):
        name = draw(st.sampled_from(["FIVE", "GT1-GEN", "SWAPPED", "SN-NEW", "GT1-FUEL"]))
        stamp = draw(st.one_of(PLAIN_STAMPS, ODD_STAMPS))
        value = draw(st.one_of(PLAIN_VALUES, st.sampled_from(["1,234.5", "1,2,3", "12,", ",", "1.5,0"]), ODD_VALUES))
        channel = draw(st.sampled_from(["", "main", "net", "a b", " x"]))
        minutes = draw(st.sampled_from(["5", "15", "60", "05", " 15"]))
        lines.append(f"{name};{stamp};{value};{channel};{minutes}".replace(";", "\t"))
    return ("\n".join(lines) + "\n").encode()


TAB_POWER = CsvMapping(**{**POWER_ENDING.__dict__, "delimiter": "\t"})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=power_export())
def test_columnar_reading_of_power_channels_and_stated_intervals_equals_the_row_reading(
        small_blocks: None, data: bytes) -> None:
    window = WINDOWS[0]
    assert _outcome(read_csv, data, TAB_POWER, window) == _outcome(read_csv_rows, data, TAB_POWER, window)


def test_a_file_of_plain_lines_is_read_by_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """The site export's plain lines never reach the row reader."""
    data = ("meter_id,interval_start,value,unit\n" + "".join(
        f"FIVE,2026-10-0{day}T0{hour}:05:00-04:00,{day}.{hour}25,kW\n" for day in range(2, 9) for hour in range(10)
    )).encode()

    def refuse_rows(*args: object, **kwargs: object) -> int:
        raise AssertionError("a plain block was read row by row")

    expected = _outcome(read_csv_rows, data, SITE_EXPORT_V1, WINDOWS[0])
    monkeypatch.setattr(csv_reader._FileReader, "rows", refuse_rows)
    assert _outcome(read_csv, data, SITE_EXPORT_V1, WINDOWS[0]) == expected
    assert expected[0] == "read" and len(expected[2]) == 70

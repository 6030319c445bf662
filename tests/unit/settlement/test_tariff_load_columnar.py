"""The load CSV read columnar gives exactly what the row reader gives: the same series for every plain file, and
for anything else the row reader's own answer (its series, or its error naming file, line and field)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import BadInput
from settlement.tariffs import load_file, read_load_csv
from settlement.tariffs.load_columnar import BLOCK_ROWS, read_load_columnar
from settlement.tariffs.load_file import DECIMALS_MAX, ENERGY_KWH_PER_ROW_MAX, ROWS_MAX

HEADER = "interval_start,energy_kwh\n"


def _outcome(read: Any, text: str) -> tuple[Any, ...]:
    try:
        series = read("load.csv", text)
    except BadInput as error:
        return ("error", str(error))
    return ("ok", series.starts_utc_us.tolist(), series.energy_units.tolist(), series.interval_minutes.tolist(),
            series.units_per_kwh, series.export_units)


def _read_by_rows(source: str, text: str) -> Any:
    """`read_load_csv` with the columnar path switched off: the row reader alone."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(load_file, "read_load_columnar", lambda *_: None)
        return read_load_csv(source, text)


def _columnar(text: str) -> Any:
    return read_load_columnar(text, ROWS_MAX, DECIMALS_MAX, ENERGY_KWH_PER_ROW_MAX)


PLAIN = {
    "quarter hours at +00:00": HEADER + "2026-01-01T08:00:00+00:00,1.5\n2026-01-01T08:15:00+00:00,2.25\n",
    "Z": HEADER + "2026-01-01T08:00:00Z,1\n2026-01-01T09:00:00Z,2\n",
    "across the DST change": HEADER + "2026-03-08T01:45:00-08:00,1\n2026-03-08T03:00:00-07:00,2\n"
                                      "2026-03-08T03:15:00-07:00,3\n",
    "decimals of every shape": HEADER + "2026-01-01T00:00:00+05:30,5\n2026-01-01T00:05:00+05:30,.5\n"
                                        "2026-01-01T00:10:00+05:30,5.\n2026-01-01T00:15:00+05:30,0.123456789\n"
                                        "2026-01-01T00:20:00+05:30,0000001.50\n",
    "CRLF, no final newline": "interval_start,energy_kwh\r\n2026-01-01T00:00:00+00:00,1\r\n"
                              "2026-01-01T00:30:00+00:00,1000000",
    "extra and repeated columns, the last of a name counts":
        "meter,energy_kwh,interval_start,energy_kwh\nm,9,2026-06-01T00:00:00-04:00,7.25\n"
        "m,x,2026-06-01T01:00:00-04:00,0\n",
    "one row": HEADER + "2999-12-30T00:00:00+00:00,0\n",
    "sparse hours": HEADER + "2026-01-01T00:00:00+00:00,1\n2026-01-02T00:00:00+00:00,1\n"
                             "2026-01-02T05:00:00+00:00,1\n",
    "leap day": HEADER + "2028-02-29T23:55:00+00:00,1\n2028-03-01T00:00:00+00:00,1\n",
}

OTHER = {
    "negative": HEADER + "2026-01-01T00:00:00+00:00,-1\n",
    "minus zero": HEADER + "2026-01-01T00:00:00+00:00,-0\n",
    "exponent": HEADER + "2026-01-01T00:00:00+00:00,1e3\n",
    "quoted": HEADER + '2026-01-01T00:00:00+00:00,"1"\n',
    "space around": HEADER + "2026-01-01T00:00:00+00:00, 1\n",
    "blank line inside": HEADER + "2026-01-01T00:00:00+00:00,1\n\n2026-01-01T00:15:00+00:00,1\n",
    "blank line at the end": HEADER + "2026-01-01T00:00:00+00:00,1\n\n",
    "duplicate start": HEADER + "2026-01-01T00:00:00+00:00,1\n2026-01-01T00:00:00+00:00,1\n",
    "disorder": HEADER + "2026-01-01T01:00:00+00:00,1\n2026-01-01T00:00:00+00:00,1\n",
    "step of 90 seconds": HEADER + "2026-01-01T00:00:00+00:00,1\n2026-01-01T00:01:30+00:00,1\n",
    "naive": HEADER + "2026-01-01T00:00:00,1\n",
    "year 1899": HEADER + "1899-12-31T23:00:00+00:00,1\n",
    "local 3000": HEADER + "3000-01-01T00:30:00+01:00,1\n",
    "UTC 3000": HEADER + "2999-12-31T23:30:00-01:00,1\n",
    "February 30": HEADER + "2026-02-30T00:00:00+00:00,1\n",
    "offset +24:00": HEADER + "2026-01-01T00:00:00+24:00,1\n",
    "ten decimals": HEADER + "2026-01-01T00:00:00+00:00,1.1234567890\n",
    "over a GWh": HEADER + "2026-01-01T00:00:00+00:00,1000000.001\n",
    "two points": HEADER + "2026-01-01T00:00:00+00:00,1.2.3\n",
    "point alone": HEADER + "2026-01-01T00:00:00+00:00,.\n",
    "empty energy": HEADER + "2026-01-01T00:00:00+00:00,\n",
    "column missing": "interval_start,kwh\n2026-01-01T00:00:00+00:00,1\n",
    "header only": HEADER,
    "fewer fields": HEADER + "2026-01-01T00:00:00+00:00\n",
    "more fields": HEADER + "2026-01-01T00:00:00+00:00,1,extra\n",
    "NUL": HEADER + "2026-01-01T00:00:00+00:00,1\0\n",
    "lone CR": HEADER + "2026-01-01T00:00:00+00:00,1\r2026-01-01T00:15:00+00:00,1\n",
    "fractional seconds": HEADER + "2026-01-01T00:00:00.000+00:00,1\n",
    "space for T": HEADER + "2026-01-01 00:00:00+00:00,1\n",
    "a field over the csv limit": "note," + HEADER + "x" * 131_073 + ",2026-01-01T00:00:00+00:00,1\n",
}


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_a_plain_file_is_read_columnar_with_the_row_readers_result(name: str) -> None:
    text = PLAIN[name]
    assert _columnar(text) is not None
    assert _outcome(read_load_csv, text) == _outcome(_read_by_rows, text)


@pytest.mark.parametrize("name", sorted(OTHER))
def test_anything_else_gets_the_row_readers_answer(name: str) -> None:
    text = OTHER[name]
    assert _columnar(text) is None
    assert _outcome(read_load_csv, text) == _outcome(_read_by_rows, text)


def test_a_total_over_64_bits_is_refused_by_the_row_reader() -> None:
    """10,000 rows of 999,999.999999999 kWh at 9 decimals: 10**19 units, over 2**63."""
    rows = [f"2026-01-{1 + n // 1440:02d}T{n // 60 % 24:02d}:{n % 60:02d}:00+00:00,999999.999999999"
            for n in range(10_000)]
    text = HEADER + "\n".join(rows) + "\n"
    assert _columnar(text) is None
    outcome = _outcome(read_load_csv, text)
    assert outcome[0] == "error" and "overflows" in outcome[1]


_DIGIT_TEXT = st.text(alphabet="0123456789.", min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(values=st.lists(_DIGIT_TEXT, min_size=1, max_size=8),
       steps=st.lists(st.sampled_from([0, 5, 15, 60, 61, 90, 1440]), min_size=8, max_size=8),
       offset=st.sampled_from(["Z", "+00:00", "-05:00", "+05:45", "+14:00"]))
def test_random_near_plain_files_agree(values: list[str], steps: list[int], offset: str) -> None:
    """Energy texts of digits and points, steps that may repeat or break the minute: whatever the path, the answer
    is the row reader's."""
    minute = 0
    rows = []
    for value, step in zip(values, steps, strict=False):
        minute += step
        stamp = np.datetime64("2026-03-01T00:00:00") + np.timedelta64(minute * 60 + (step == 61), "s")
        rows.append(f"{stamp!s}{offset},{value}")
    text = HEADER + "\n".join(rows) + "\n"
    assert _outcome(read_load_csv, text) == _outcome(_read_by_rows, text)


def _long_file(values: dict[int, str], stamps: dict[int, str]) -> str:
    """BLOCK_ROWS and more rows (the columnar path works block by block), with some values or starts replaced."""
    first = np.datetime64("2026-01-01T00:00:00")
    quarter = np.timedelta64(15, "m")
    rows = [f"{stamps.get(n, f'{first + n * quarter!s}+00:00')},{values.get(n, '1.5')}"
            for n in range(BLOCK_ROWS + 900)]
    return HEADER + "\n".join(rows) + "\n"


def test_the_blocks_of_a_long_file_join_into_one_series() -> None:
    """Five decimals in the second block only: every value of the file is in 1/100,000 kWh, as the row reader
    reads it."""
    text = _long_file({BLOCK_ROWS + 10: "2.12345", 3: "0"}, {})
    assert _columnar(text) is not None
    assert _outcome(read_load_csv, text) == _outcome(_read_by_rows, text)
    assert _outcome(read_load_csv, text)[4] == 100_000


@pytest.mark.parametrize(("values", "stamps"), [({BLOCK_ROWS + 5: "x"}, {}),
                                                ({}, {BLOCK_ROWS: "2026-01-01T00:00:00+00:00"})])
def test_a_bad_row_in_a_later_block_gets_the_row_readers_error(values: dict[int, str], stamps: dict[int, str]) -> None:
    text = _long_file(values, stamps)
    assert _columnar(text) is None
    outcome = _outcome(read_load_csv, text)
    assert outcome == _outcome(_read_by_rows, text)
    assert outcome[0] == "error" and f"line {BLOCK_ROWS + 2 + (5 if values else 0)}" in outcome[1]

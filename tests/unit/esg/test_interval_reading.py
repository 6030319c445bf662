"""The vectorised hourly reader agrees with a plain-Python reference on random files, and refuses bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.errors import BadInput
from esg.scopes import read_hourly_energy

START = datetime(2025, 7, 1, tzinfo=UTC)
rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["M1", "M2", "M3", "OTHER"]),
        st.integers(min_value=-4, max_value=40),  # quarter-hours from START, some outside the period
        st.integers(min_value=0, max_value=10**9),
        st.sampled_from([0, 0, 0, 1, 2, 4, 8]),
    ),
    max_size=60,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows_strategy)
def test_hourly_sums_and_quality_bits_match_a_plain_python_reference(intervals_file, rows):
    """Per meter and UTC hour, Wh sums and the OR of quality bits equal a dictionary computed row by row."""
    end = START + timedelta(hours=8)
    uri = intervals_file([(m, START + q * timedelta(minutes=15), 15, wh, bits) for m, q, wh, bits in rows])
    result = read_hourly_energy(uri, frozenset({"M1", "M2", "M3"}), START, end)
    expected_wh: dict[str, dict[datetime, int]] = {}
    expected_bits: dict[str, int] = {}
    for meter_id, quarter, energy_wh, bits in rows:
        start = START + quarter * timedelta(minutes=15)
        if meter_id == "OTHER" or not START <= start < end:
            continue
        hour = start.replace(minute=0)
        expected_wh.setdefault(meter_id, {})
        expected_wh[meter_id][hour] = expected_wh[meter_id].get(hour, 0) + energy_wh
        expected_bits[meter_id] = expected_bits.get(meter_id, 0) | bits
    assert result.sums.nested(result.hours()) == expected_wh
    assert result.quality_bits == expected_bits


def test_negative_energy_is_refused_with_its_source_row(intervals_file):
    """A negative reading names the file, the source row and the field."""
    uri = intervals_file([("M1", START, 15, 5, 0), ("M1", START + timedelta(minutes=15), 15, -3, 0)])
    with pytest.raises(BadInput, match="line 3, field 'energy_wh'"):
        read_hourly_energy(uri, frozenset({"M1"}), START, START + timedelta(hours=1))


def test_an_unreadable_file_is_bad_input(tmp_path: Path):
    """Not Parquet at all: BadInput naming the file."""
    path = tmp_path / "not.parquet"
    path.write_text("meter_id,energy_wh\n")
    with pytest.raises(BadInput, match="not a readable Parquet file"):
        read_hourly_energy(str(path), frozenset({"M1"}), START, START + timedelta(hours=1))

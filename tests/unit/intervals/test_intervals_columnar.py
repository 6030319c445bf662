"""The array sums agree with a row-by-row reference, whether the meter-hours fill a dense matrix or are sparse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intervals import meter_hour_sums, meter_quality_bits, meter_rows, read_intervals
from tests.unit.intervals.conftest import write_validated

START = datetime(2026, 3, 7, 23, tzinfo=UTC)
rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["M1", "M2", "M3", "OTHER"]),
        # Within three days (a dense matrix) or up to ten years apart (sparse, sorted and reduced).
        st.one_of(st.integers(min_value=0, max_value=24 * 12 * 3), st.integers(min_value=0, max_value=10**6)),
        st.integers(min_value=-10**12, max_value=10**12),
        st.sampled_from([0, 0, 1, 2, 4, 8]),
    ),
    max_size=60,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows_strategy, st.integers(min_value=1, max_value=7))
def test_meter_hour_sums_of_chosen_meters_match_a_row_by_row_reference(tmp_path: Path, drawn, rows_per_group) -> None:
    rows = [(m, "main", START + step * timedelta(minutes=5), 5, wh, q) for m, step, wh, q in drawn]
    table = read_intervals(write_validated(tmp_path / "columnar.parquet", rows, rows_per_group)).table
    chosen = ("M3", "M1", "M2")
    sums = meter_hour_sums(table, chosen)
    expected: dict[str, dict[datetime, int]] = {}
    expected_bits = dict.fromkeys(chosen, 0)
    for meter_id, _, start, _, energy_wh, quality in rows:
        if meter_id in chosen:
            hour = start.replace(minute=0)
            expected.setdefault(meter_id, {})
            expected[meter_id][hour] = expected[meter_id].get(hour, 0) + energy_wh
            expected_bits[meter_id] |= quality
    assert sums.meter_ids == chosen
    assert sums.nested(sums.hour_starts_utc()) == expected
    assert list(sums.period_numbers) == sorted(set(sums.period_numbers.tolist()))
    dense = sums.dense()
    assert dense.shape == (3, len(sums.period_numbers)) and dense.dtype == np.int64
    assert dense.sum() == sum(wh for by_hour in expected.values() for wh in by_hour.values())
    meter_ids, bits = meter_quality_bits(table, rows=meter_rows(table, chosen))
    assert dict(zip(meter_ids, bits.tolist(), strict=True)) == expected_bits
    assert set(meter_rows(table, chosen).seen_meter_ids) == {row[0] for row in rows}

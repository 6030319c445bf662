"""The numba aggregation kernel matches its plain-Python reference on random valid and invalid rows (intervals
straddling two cells, starts outside the period, meters feeding no series, mixed interval lengths)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.engine import STATUS_OFF_GRID, STATUS_OK, STATUS_OUTSIDE_PERIOD, aggregate_rows

MINUTE_US = 60_000_000


def aggregate_rows_python(meter_codes: list[int], starts_us: list[int], energy_wh: list[int], code_series: list[int],
                          code_interval_us: list[int], series_interval_us: list[int], series_offset: list[int],
                          period_start_us: int, meter_totals_wh: list[int], cells_wh: list[int]) -> list[int]:
    """The same rules in plain Python: the reference the kernel is tested against."""
    status = [STATUS_OK] * len(meter_codes)
    for row, code in enumerate(meter_codes):
        meter_totals_wh[code] += energy_wh[row]
        series = code_series[code]
        if series < 0:
            continue
        elapsed = starts_us[row] - period_start_us
        cell, into_cell = divmod(elapsed, series_interval_us[series])
        if elapsed < 0 or series_offset[series] + cell >= series_offset[series + 1]:
            status[row] = STATUS_OUTSIDE_PERIOD
        elif into_cell + code_interval_us[code] > series_interval_us[series]:
            status[row] = STATUS_OFF_GRID
        else:
            cells_wh[series_offset[series] + cell] += energy_wh[row]
    return status


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_kernel_matches_python_reference(data: st.DataObject) -> None:
    """Property: totals, cells and statuses are identical for any mix of rows."""
    meter_count = data.draw(st.integers(1, 6))
    code_series = data.draw(st.lists(st.integers(-1, 2), min_size=meter_count, max_size=meter_count))
    code_interval_us = [m * MINUTE_US for m in data.draw(st.lists(st.sampled_from([5, 15, 60]), min_size=meter_count,
                                                                    max_size=meter_count))]
    series_interval_us = [5 * MINUTE_US, 15 * MINUTE_US, 60 * MINUTE_US]
    series_cells = [12, 4, 1]  # one hour of each
    series_offset = [0, 12, 16, 17]
    rows = data.draw(st.lists(st.tuples(st.integers(0, meter_count - 1), st.integers(-10, 70),
                                        st.integers(-(10**9), 10**9)), max_size=40))
    period_start_us = 1_700_000_000_000_000
    codes = [r[0] for r in rows]
    starts = [period_start_us + r[1] * MINUTE_US for r in rows]
    energy = [r[2] for r in rows]
    expected_totals, expected_cells = [0] * meter_count, [0] * sum(series_cells)
    expected_status = aggregate_rows_python(codes, starts, energy, code_series, code_interval_us, series_interval_us, series_offset,
                                            period_start_us, expected_totals, expected_cells)
    totals, cells = np.zeros(meter_count, dtype=np.int64), np.zeros(sum(series_cells), dtype=np.int64)
    status = aggregate_rows(np.array(codes, dtype=np.int32), np.array(starts, dtype=np.int64),
                            np.array(energy, dtype=np.int64), np.array(code_series, dtype=np.int32),
                            np.array(code_interval_us, dtype=np.int64),
                            np.array(series_interval_us, dtype=np.int64), np.array(series_offset, dtype=np.int64),
                            np.int64(period_start_us), totals, cells)
    assert status.tolist() == expected_status
    assert totals.tolist() == expected_totals
    assert cells.tolist() == expected_cells

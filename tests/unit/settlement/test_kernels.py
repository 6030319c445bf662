"""The numba aggregation kernel matches hand-worked rows and an independent plain-Python statement of its rules (explicit
cells, not the kernel's arithmetic) on random valid and invalid rows (intervals
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
    """The rules stated over explicit cells rather than the kernel's arithmetic: each series' cells are listed as
    [start, end) pairs; a row lands in the cell holding its start when its whole interval fits in that cell, is
    off-grid when it spills over the cell's end, and is outside the period when no cell holds its start."""
    cells_by_series = [
        [(period_start_us + k * length_us, period_start_us + (k + 1) * length_us, series_offset[series] + k)
         for k in range(series_offset[series + 1] - series_offset[series])]
        for series, length_us in enumerate(series_interval_us)
    ]
    status = []
    for row, code in enumerate(meter_codes):
        meter_totals_wh[code] += energy_wh[row]
        if code_series[code] < 0:  # a meter that feeds no series only counts towards its own total
            status.append(STATUS_OK)
            continue
        row_start, row_end = starts_us[row], starts_us[row] + code_interval_us[code]
        holding = [(cell_end, index) for cell_start, cell_end, index in cells_by_series[code_series[code]]
                   if cell_start <= row_start < cell_end]
        if not holding:
            status.append(STATUS_OUTSIDE_PERIOD)
        elif row_end > holding[0][0]:
            status.append(STATUS_OFF_GRID)
        else:
            cells_wh[holding[0][1]] += energy_wh[row]
            status.append(STATUS_OK)
    return status


def test_kernel_on_hand_worked_rows() -> None:
    """Three meters (5-minute into the 15-minute series, 15-minute into the hourly series, one feeding nothing):
    a 5-minute row at :10 fills 15-minute cell 0; one at :15 fills cell 1; a 15-minute row at :45 fits the hour;
    one at :55 spills over it (off-grid); one at :60 and one at -:15 fall outside; every row counts in its total.

    Break caught: calling a row that ends exactly on its cell's end off-grid (`>=` for `>` in the kernel's
    spill test) fails this test and the property below."""
    codes = [0, 0, 1, 1, 1, 1, 2]
    minutes = [10, 15, 45, 55, 60, -15, 30]
    energy = [100, 200, 300, 400, 500, 600, 700]
    period_start_us = 1_700_000_000_000_000
    totals, cells = np.zeros(3, dtype=np.int64), np.zeros(5, dtype=np.int64)
    status = aggregate_rows(np.array(codes, dtype=np.int32),
                            np.array([period_start_us + m * MINUTE_US for m in minutes], dtype=np.int64),
                            np.array(energy, dtype=np.int64), np.array([0, 1, -1], dtype=np.int32),
                            np.array([5 * MINUTE_US, 15 * MINUTE_US, 5 * MINUTE_US], dtype=np.int64),
                            np.array([15 * MINUTE_US, 60 * MINUTE_US], dtype=np.int64),
                            np.array([0, 4, 5], dtype=np.int64), np.int64(period_start_us), totals, cells)
    assert status.tolist() == [STATUS_OK, STATUS_OK, STATUS_OK, STATUS_OFF_GRID, STATUS_OUTSIDE_PERIOD,
                               STATUS_OUTSIDE_PERIOD, STATUS_OK]
    assert totals.tolist() == [300, 1_800, 700]
    assert cells.tolist() == [100, 200, 0, 0, 300]


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

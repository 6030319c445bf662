"""The period filter every reader applies: rows whose interval starts in a half-open UTC period."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from common.timeutil import require_utc

TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")


def table_within_period(table: pa.Table, period_start_utc: datetime, period_end_utc: datetime) -> pa.Table:
    """Rows of `table` whose `interval_start_utc` lies in `[period_start_utc, period_end_utc)`. Returns `table`
    itself when every row does, so a file already cut to its period is not copied."""
    start = pa.scalar(require_utc(period_start_utc, "period_start_utc"), TIMESTAMP_TYPE)
    end = pa.scalar(require_utc(period_end_utc, "period_end_utc"), TIMESTAMP_TYPE)
    column = table.column("interval_start_utc")
    if table.num_rows and pc.min(column).value >= start.value and pc.max(column).value < end.value:
        return table
    return table.filter(pc.and_(pc.greater_equal(column, start), pc.less(column, end)))

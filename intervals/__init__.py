"""The one reader of validated interval Parquet (INTERVAL_SCHEMA, written by meterdata's VEE step).

`read_intervals` reads a file (a path or the claim-check URI) once into a `MeterIntervals`; `intervals.columnar`
sums its rows per meter and UTC hour or local day as arrays (meter index, period index, int64 Wh), and ORs the
quality bits per meter; the views give the same sums as dictionaries for small tables. Pure reading over
pyarrow: no database, no workflow code.
"""

from intervals.columnar import (
    MeterPeriodSums,
    MeterRows,
    meter_cell_sums,
    meter_hour_sums,
    meter_hour_sums_from_mapping,
    meter_local_day_sums,
    meter_quality_bits,
    meter_rows,
)
from intervals.parquet import read_parquet_bytes
from intervals.period import table_within_period
from intervals.read import ALL_COLUMNS, ENERGY_COLUMNS, MeterIntervals, intervals_of, read_intervals
from intervals.views import (
    energy_wh_by_key,
    energy_wh_by_meter,
    energy_wh_by_meter_hour,
    energy_wh_by_meter_local_day,
    energy_wh_total,
    plain_strings,
    quality_bits_by_meter,
)

__all__ = [
    "ALL_COLUMNS",
    "ENERGY_COLUMNS",
    "MeterIntervals",
    "MeterPeriodSums",
    "MeterRows",
    "energy_wh_by_key",
    "energy_wh_by_meter",
    "energy_wh_by_meter_hour",
    "energy_wh_by_meter_local_day",
    "energy_wh_total",
    "intervals_of",
    "meter_cell_sums",
    "meter_hour_sums",
    "meter_hour_sums_from_mapping",
    "meter_local_day_sums",
    "meter_quality_bits",
    "meter_rows",
    "plain_strings",
    "quality_bits_by_meter",
    "read_intervals",
    "read_parquet_bytes",
    "table_within_period",
]

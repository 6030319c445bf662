"""The one reader of validated interval Parquet (INTERVAL_SCHEMA, written by meterdata's VEE step).

`read_intervals` reads a file (a path or the claim-check URI) once into a `MeterIntervals`; the views sum its
rows per meter, per meter and UTC hour, per meter and local day, and OR the quality bits. Pure reading over
pyarrow: no database, no workflow code.
"""

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
    "energy_wh_by_key",
    "energy_wh_by_meter",
    "energy_wh_by_meter_hour",
    "energy_wh_by_meter_local_day",
    "energy_wh_total",
    "intervals_of",
    "plain_strings",
    "quality_bits_by_meter",
    "read_intervals",
    "read_parquet_bytes",
    "table_within_period",
]

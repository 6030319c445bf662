"""The normalized interval schema every stage reads and writes (Arrow, never inferred).

One row is one interval of one meter channel. `interval_start_utc` begins a half-open interval of
`interval_minutes`. `energy_wh` is integer watt-hours; a fuel meter's channel carries heat input in
watt-hours thermal on the higher heating value (1 MMBtu = 293,071.07 Wh). `quality` is a bit set
(QUALITY_*). `source_sha256` and `source_row` point back at the raw file and its line (1-based, header
is line 1) that produced the value, so every figure can be traced to what was received.
"""

from __future__ import annotations

import pyarrow as pa

QUALITY_MEASURED = 0
QUALITY_ESTIMATED = 1
QUALITY_EDITED = 2
QUALITY_SUSPECT = 4
QUALITY_MISSING = 8

INTERVAL_SCHEMA = pa.schema(
    [
        pa.field("meter_id", pa.string(), nullable=False),
        pa.field("channel", pa.string(), nullable=False),
        pa.field("interval_start_utc", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("interval_minutes", pa.int16(), nullable=False),
        pa.field("energy_wh", pa.int64(), nullable=False),
        pa.field("quality", pa.uint8(), nullable=False),
        pa.field("source_sha256", pa.string(), nullable=False),
        pa.field("source_row", pa.int32(), nullable=False),
    ]
)

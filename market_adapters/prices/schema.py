"""The one Arrow schema for ISO price series (LMP and its components), whatever feed they came from.

`interval_start_utc` begins a half-open interval of `interval_minutes`; hour-ending local labels are
converted by each adapter's parse module, nowhere else. Prices are exact decimals in USD/MWh.
`version` and `publish_time_utc` keep corrections: a later version of the same (node, market, interval)
supersedes an earlier one, and both are kept. `node_type` and `zone` came later: files written before them
read with both null.
"""

from __future__ import annotations

import pyarrow as pa

PRICE_DECIMAL = pa.decimal128(18, 6)

PRICE_SCHEMA = pa.schema(
    [
        pa.field("iso", pa.string(), nullable=False),
        pa.field("market", pa.string(), nullable=False),  # "DA" | "RT" | "RT5" | "HASP" ...
        pa.field("node", pa.string(), nullable=False),
        pa.field("interval_start_utc", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("interval_minutes", pa.int16(), nullable=False),
        pa.field("lmp_usd_per_mwh", PRICE_DECIMAL, nullable=False),
        pa.field("energy_usd_per_mwh", PRICE_DECIMAL, nullable=True),
        pa.field("congestion_usd_per_mwh", PRICE_DECIMAL, nullable=True),
        pa.field("loss_usd_per_mwh", PRICE_DECIMAL, nullable=True),
        pa.field("publish_time_utc", pa.timestamp("us", tz="UTC"), nullable=True),
        pa.field("version", pa.int32(), nullable=False),
        # What the ISO publishes about the node: its type ("HUB", "ZONE", "LOAD_ZONE", "GEN", "RESOURCE_NODE",
        # "INTERFACE", ... as the ISO spells it) and the zone it lies in; null where the feed does not say.
        pa.field("node_type", pa.string(), nullable=True),
        pa.field("zone", pa.string(), nullable=True),
    ]
)

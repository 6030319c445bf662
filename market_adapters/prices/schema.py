"""The one Arrow schema for ISO price series (LMP and its components), whatever feed they came from.

`interval_start_utc` begins a half-open interval of `interval_minutes`; hour-ending local labels are
converted by each adapter's parse module, nowhere else. Prices are exact decimals per MWh in the row's
`currency` (ISO 4217): "USD" for every US market; IESO (Ontario) and AESO (Alberta) publish CAD, kept as published
in the same price columns (their `_usd_` names predate the column) and never converted here. Every consumer that
prices energy calls `require_usd` first, so currencies are never mixed. `version` and `publish_time_utc` keep
corrections: a later version of the same (node, market, interval) supersedes an earlier one, and both are kept.
`node_type`, `zone` and `currency` came later: files written before them read with null type and zone and USD.
"""

from __future__ import annotations

import pyarrow as pa

PRICE_DECIMAL = pa.decimal128(18, 6)
USD = "USD"

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
        # ISO 4217 code of every price column of the row; readers write it, and a null (a writer that predates it)
        # reads as USD.
        pa.field("currency", pa.string(), nullable=True),
    ]
)

"""Build, store and load PRICE_SCHEMA tables (the one Arrow schema for ISO prices).

Readers produce `PriceRow`s; `price_table` turns them into an Arrow table with the schema passed, never
inferred. Parquet helpers accept a plain path or any pyarrow.fs URI.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from common.bounds import checked_decimal
from common.errors import BadInput
from common.uri import resolve
from market_adapters.prices.schema import PRICE_SCHEMA, USD

PRICE_ABS_LIMIT = Decimal(10) ** 11
"""A price cell's bound: a price row adds up to three components (energy, congestion, loss) into the decimal(18, 6)
column, whose bound is 10**12."""
PRICE_QUANTUM = Decimal("0.000001")
_COLUMNS_ADDED_LATER = {"node_type": None, "zone": None, "currency": USD}
"""Columns files written before them lack, with the value such a file means (every earlier file was USD)."""


@dataclass(frozen=True)
class PriceRow:
    """One price of one node and market over `[interval_start_utc, +interval_minutes)`, exact, per MWh in
    `currency` (USD unless the ISO publishes another; see the schema)."""

    iso: str
    market: str
    node: str
    interval_start_utc: datetime
    interval_minutes: int
    lmp_usd_per_mwh: Decimal
    energy_usd_per_mwh: Decimal | None
    congestion_usd_per_mwh: Decimal | None
    loss_usd_per_mwh: Decimal | None
    publish_time_utc: datetime | None
    version: int
    node_type: str | None = None
    zone: str | None = None
    currency: str = USD


def price_table(rows: Iterable[PriceRow]) -> pa.Table:
    """Rows as a PRICE_SCHEMA table, sorted by (node, market, interval start, version) for stable output."""
    ordered = sorted(rows, key=lambda row: (row.node, row.market, row.interval_start_utc, row.version))
    columns = {name: [getattr(row, name) for row in ordered] for name in PRICE_SCHEMA.names}
    return pa.table(columns, schema=PRICE_SCHEMA)


def price_rows(table: pa.Table) -> list[PriceRow]:
    """The inverse of `price_table`."""
    return [PriceRow(**row) for row in table.cast(PRICE_SCHEMA).to_pylist()]


def latest_prices(table: pa.Table) -> pa.Table:
    """Keep, per (iso, market, node, interval start), only the highest version: the price the ISO settles on."""
    keys = ["iso", "market", "node", "interval_start_utc"]
    newest = table.group_by(keys).aggregate([("version", "max")]).rename_columns(keys + ["version"])
    return table.join(newest, keys + ["version"], join_type="inner").select(PRICE_SCHEMA.names).sort_by(
        [("node", "ascending"), ("market", "ascending"), ("interval_start_utc", "ascending")]
    )


def write_prices_parquet(table: pa.Table, uri: str) -> None:
    """Write a PRICE_SCHEMA table to `uri` (path or pyarrow.fs URI); other schemas are a programming error."""
    assert table.schema.equals(PRICE_SCHEMA), "price tables must use PRICE_SCHEMA"
    filesystem, path = resolve(uri)
    pq.write_table(table, path, filesystem=filesystem)


def read_prices_parquet(uri: str) -> pa.Table:
    """Read a price Parquet file as PRICE_SCHEMA; a file with other columns or types is BadInput."""
    filesystem, path = resolve(uri)
    return _as_price_schema(pq.read_table(path, filesystem=filesystem), uri)


def read_prices_parquet_bytes(source: str, data: bytes) -> pa.Table:
    """`read_prices_parquet` of a file already in memory (the settlement engine hashes the bytes it prices with)."""
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (OSError, pa.ArrowInvalid) as error:
        raise BadInput(source, None, None, f"not a readable Parquet file: {error}") from error
    return _as_price_schema(table, source)


def _as_price_schema(table: pa.Table, source: str) -> pa.Table:
    for name, meant in _COLUMNS_ADDED_LATER.items():
        if name not in table.column_names:
            table = table.append_column(PRICE_SCHEMA.field(name), pa.array([meant] * table.num_rows, pa.string()))
        elif meant is not None and table.column(name).null_count:  # a writer that left the cell empty meant USD
            table = table.set_column(table.column_names.index(name), name, pc.fill_null(table.column(name), meant))
    try:
        return table.select(PRICE_SCHEMA.names).cast(PRICE_SCHEMA)
    except (KeyError, pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise BadInput(source, None, None, f"not a PRICE_SCHEMA file: {error}") from error


def require_usd(table: pa.Table, source: str) -> None:
    """Refuse a price table holding any non-USD row: energy is priced and billed in USD, and a CAD price (IESO,
    AESO) is never mixed in unconverted. The error names the first such row's node, interval and currency."""
    currencies = table.column("currency")
    foreign = pc.invert(pc.fill_null(pc.equal(currencies, USD), False))
    if not pc.any(foreign).as_py():
        return
    first = table.filter(foreign).slice(0, 1).to_pylist()[0]
    raise BadInput(source, None, "currency",
                   f"{first['currency']!r} price at {first['node']} ({first['market']}, "
                   f"{first['interval_start_utc']:%Y-%m-%dT%H:%MZ}): only USD prices can price energy here")


def parse_price(text: str, source: str, line: int, field: str) -> Decimal:
    """A price cell as an exact Decimal; blank, non-numeric, non-finite or beyond the price column
    (decimal(18, 6): below 10**12, at most 6 places) is BadInput naming the cell."""
    try:
        value = checked_decimal(text)  # finite, ASCII digits (common.bounds)
    except ValueError as error:
        raise BadInput(source, line, field, f"not a number: {text[:64]!r} ({error})") from error
    if abs(value) >= PRICE_ABS_LIMIT or value != value.quantize(PRICE_QUANTUM):
        raise BadInput(source, line, field, f"{text.strip()!r} does not fit a price column: below {PRICE_ABS_LIMIT:,} "
                       "with at most 6 decimal places")
    return value


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
import pyarrow.parquet as pq

from common.bounds import checked_decimal
from common.errors import BadInput
from common.uri import resolve
from market_adapters.prices.schema import PRICE_SCHEMA

PRICE_ABS_LIMIT = Decimal(10) ** 11
"""A price cell's bound: a price row adds up to three components (energy, congestion, loss) into the decimal(18, 6)
column, whose bound is 10**12."""
PRICE_QUANTUM = Decimal("0.000001")
_COLUMNS_ADDED_LATER = ("node_type", "zone")


@dataclass(frozen=True)
class PriceRow:
    """One price of one node and market over `[interval_start_utc, +interval_minutes)`, USD/MWh exact."""

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
    table = pq.read_table(path, filesystem=filesystem)
    for name in _COLUMNS_ADDED_LATER:
        if name not in table.column_names:
            table = table.append_column(PRICE_SCHEMA.field(name), pa.nulls(table.num_rows, pa.string()))
    try:
        return table.select(PRICE_SCHEMA.names).cast(PRICE_SCHEMA)
    except (KeyError, pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise BadInput(uri, None, None, f"not a PRICE_SCHEMA file: {error}") from error


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


"""Price Parquet helpers: a PRICE_SCHEMA table survives write/read exactly; other files are BadInput."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from common.errors import BadInput
from market_adapters.prices import (
    PriceRow,
    price_rows,
    price_table,
    read_prices_parquet,
    write_prices_parquet,
)


def test_write_then_read_returns_the_same_rows(tmp_path):
    """Decimals, UTC times, nulls and versions come back unchanged, via a plain path and a file:// URI."""
    rows = [
        PriceRow("PJM", "DA", "51288", datetime(2025, 7, 15, 19, tzinfo=UTC), 60, Decimal("47.020001"),
                 Decimal("45.1"), Decimal("1.55"), Decimal("0.37"), datetime(2025, 7, 14, 17, tzinfo=UTC), 2),
        PriceRow("ERCOT", "RT", "HB_NORTH", datetime(2025, 7, 15, 21, 30, tzinfo=UTC), 15, Decimal("-3.5"),
                 None, None, None, None, 1),
    ]
    path = tmp_path / "prices.parquet"
    write_prices_parquet(price_table(rows), str(path))
    assert sorted(price_rows(read_prices_parquet(str(path))), key=lambda r: r.iso) == sorted(rows, key=lambda r: r.iso)
    assert price_rows(read_prices_parquet(path.as_uri())) == price_rows(price_table(rows))


def test_a_file_without_price_columns_is_bad_input(tmp_path):
    """Reading an interval-like file as prices names the file."""
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"meter_id": ["m"]}), path)
    with pytest.raises(BadInput, match="other.parquet"):
        read_prices_parquet(str(path))

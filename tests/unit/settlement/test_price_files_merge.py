"""Prices for one node spread over several store files (one per month, a corrected re-post) are read together."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from market_adapters.prices import PriceRow, price_table, write_prices_parquet
from settlement.campus_files import _load_prices
from settlement.contracts import ContractVersion


def _file(folder: Path, name: str, first_utc: datetime, hours: int, price: str, version: int) -> str:
    rows = [PriceRow("ERCOT", "RT", "HB_SOUTH", first_utc + timedelta(hours=h), 60, Decimal(price), None, None, None,
                     None, version) for h in range(hours)]
    uri = str(folder / name)
    write_prices_parquet(price_table(rows), uri)
    return uri


def test_every_file_of_a_node_is_read_and_the_highest_version_wins(tmp_path: Path) -> None:
    vppa = ContractVersion(1, "vppa", 1, "vppa", "t", date(2026, 1, 1),
                           {"meter_ids": ["PV"], "strike_usd_per_mwh": "30", "node": "HB_SOUTH", "market": "RT"},
                           "0" * 64)
    july = _file(tmp_path, "a.parquet", datetime(2026, 7, 31, 22, tzinfo=UTC), 2, "20.50", 1)
    august = _file(tmp_path, "b.parquet", datetime(2026, 8, 1, tzinfo=UTC), 2, "31.00", 1)
    repost = _file(tmp_path, "c.parquet", datetime(2026, 8, 1, 1, tzinfo=UTC), 1, "35.25", 2)
    series = _load_prices([vppa], [july, august, repost])[("HB_SOUTH", "RT")]
    assert [datetime.fromtimestamp(us / 1e6, UTC).hour for us in series.starts_utc_us] == [22, 23, 0, 1]
    assert list(series.lmp_usd_micros_per_mwh) == [20_500_000, 20_500_000, 31_000_000, 35_250_000]
    assert series.sha256_hex.count("|") == 2

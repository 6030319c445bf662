"""PRICE_SCHEMA's `currency`: USD by default, CAD kept as published (IESO, AESO), files written before the column
read as USD, and every consumer that prices energy refuses a non-USD price instead of mixing currencies."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from billing.shadow_step import _node_prices
from common.errors import BadInput
from market_adapters.prices import (
    PriceRow,
    price_rows,
    price_table,
    read_prices_parquet,
    require_usd,
    write_prices_parquet,
)
from settlement.engine import price_series, read_price_file

T0 = datetime(2026, 3, 8, 6, tzinfo=UTC)


def _row(node: str, lmp: str, currency: str = "USD") -> PriceRow:
    return PriceRow(iso="IESO" if currency == "CAD" else "ERCOT", market="RT", node=node, interval_start_utc=T0,
                    interval_minutes=60, lmp_usd_per_mwh=Decimal(lmp), energy_usd_per_mwh=None,
                    congestion_usd_per_mwh=None, loss_usd_per_mwh=None, publish_time_utc=None, version=1,
                    currency=currency)


def test_currency_defaults_to_usd_and_cad_round_trips(tmp_path: Path):
    table = price_table([_row("HB_NORTH", "25.5"), _row("ONTARIO", "31.2", "CAD")])
    path = str(tmp_path / "p.parquet")
    write_prices_parquet(table, path)
    rows = price_rows(read_prices_parquet(path))
    assert [(row.node, row.currency) for row in rows] == [("HB_NORTH", "USD"), ("ONTARIO", "CAD")]


def test_a_file_written_before_the_column_reads_as_usd(tmp_path: Path):
    """The 2025 layout: no node_type, zone or currency columns."""
    old = price_table([_row("HB_NORTH", "25.5")]).drop_columns(["node_type", "zone", "currency"])
    path = tmp_path / "old.parquet"
    pq.write_table(old, path)
    [row] = price_rows(read_prices_parquet(str(path)))
    assert (row.currency, row.node_type, row.zone) == ("USD", None, None)
    table, _ = read_price_file(str(path))  # the settlement engine reads it too
    assert table.column("currency").to_pylist() == ["USD"]


def test_require_usd_names_the_first_foreign_row():
    table = price_table([_row("HB_NORTH", "25.5"), _row("ONTARIO", "31.2", "CAD")])
    with pytest.raises(BadInput) as caught:
        require_usd(table, "prices.parquet")
    assert (caught.value.source, caught.value.field) == ("prices.parquet", "currency")
    assert "'CAD' price at ONTARIO (RT, 2026-03-08T06:00Z)" in str(caught.value)
    require_usd(price_table([_row("HB_NORTH", "25.5")]), "usd.parquet")  # all USD: no error


def test_settlement_and_the_shadow_step_refuse_a_cad_price(tmp_path: Path):
    """A store file may hold both; the USD node prices, the CAD node is refused where it would price energy."""
    path = str(tmp_path / "mixed.parquet")
    write_prices_parquet(price_table([_row("HB_NORTH", "25.5"), _row("ONTARIO", "31.2", "CAD")]), path)
    table, sha = read_price_file(path)
    assert price_series(table, "HB_NORTH", "RT", sha).lmp_usd_micros_per_mwh.tolist() == [25_500_000]
    with pytest.raises(BadInput, match="only USD prices"):
        price_series(table, "ONTARIO", "RT", sha)
    with pytest.raises(BadInput, match="only USD prices"):
        _node_prices([path], "ONTARIO", "RT", T0, datetime(2026, 3, 9, tzinfo=UTC))
    prices, minutes = _node_prices([path], "HB_NORTH", "RT", T0, datetime(2026, 3, 9, tzinfo=UTC))
    assert (prices, minutes) == ({T0: Decimal("25.5")}, 60)

"""PJM Data Miner 2 LMP items: UTC beginning times, exact decimals, every version kept, latest chosen."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from common.errors import BadInput
from market_adapters.pjm.parse import parse_lmp_items
from market_adapters.prices import latest_prices, price_rows, price_table

DOC_ITEM = ('{"datetime_beginning_utc":"2025-07-15T19:00:00","datetime_beginning_ept":"2025-07-15T15:00:00",'
            '"pnode_id":51288,"pnode_name":"WESTERN HUB","type":"HUB","system_energy_price_da":45.10,'
            '"congestion_price_da":1.55,"marginal_loss_price_da":0.37,"total_lmp_da":47.02,'
            '"row_is_current":true,"version_nbr":1}')


def test_documented_item_parses_exactly():
    """The §5.3 example: WESTERN HUB 47.02 = 45.10 + 1.55 + 0.37 from 19:00 UTC, decoded as Decimal."""
    item = json.loads(DOC_ITEM, parse_float=Decimal)
    [row] = parse_lmp_items([item], "da_hrl_lmps", "page1")
    assert row.interval_start_utc == datetime(2025, 7, 15, 19, tzinfo=UTC)
    assert (row.node, row.market, row.interval_minutes) == ("51288", "DA", 60)
    assert (row.lmp_usd_per_mwh, row.energy_usd_per_mwh) == (Decimal("47.02"), Decimal("45.10"))
    assert row.congestion_usd_per_mwh + row.energy_usd_per_mwh + row.loss_usd_per_mwh == row.lmp_usd_per_mwh


def test_float_prices_are_read_through_their_text():
    """A float 0.1 becomes Decimal('0.1'), not the binary 0.1000000000000000055..."""
    item = dict(json.loads(DOC_ITEM), total_lmp_da=0.1)
    [row] = parse_lmp_items([item], "da_hrl_lmps", "p")
    assert row.lmp_usd_per_mwh == Decimal("0.1")


def test_corrected_version_supersedes_but_both_are_kept():
    """A version 2 with a new LMP is what latest_prices returns; the table still holds version 1."""
    first = json.loads(DOC_ITEM, parse_float=Decimal) | {"row_is_current": False}
    second = first | {"total_lmp_da": Decimal("49.00"), "version_nbr": 2, "row_is_current": True}
    table = price_table(parse_lmp_items([first, second], "da_hrl_lmps", "p"))
    assert table.num_rows == 2
    [current] = price_rows(latest_prices(table))
    assert (current.version, current.lmp_usd_per_mwh) == (2, Decimal("49.00"))


def test_missing_fields_name_the_row():
    """Item 2 of a page without total_lmp_rt is BadInput at row 2; an unknown feed is rejected."""
    good = json.loads(DOC_ITEM.replace("_da", "_rt"))
    bad = {key: value for key, value in good.items() if key != "total_lmp_rt"}
    with pytest.raises(BadInput) as caught:
        parse_lmp_items([good, bad], "rt_hrl_lmps", "page1")
    assert (caught.value.line, caught.value.field) == (2, "total_lmp_rt")
    with pytest.raises(BadInput):
        parse_lmp_items([good], "nonsense", "page1")

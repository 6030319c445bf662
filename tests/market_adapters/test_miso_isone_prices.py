"""MISO Data Exchange and ISO-NE five-minute LMP readers on the real samples: UTC starts and exact components."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from common.errors import BadInput
from market_adapters.isone.parse import parse_five_minute_lmps
from market_adapters.miso.parse import parse_data_exchange_lmps


def test_miso_sample_hour_ending_1_in_est(shared_dir):
    """ALTW.WELLS1 interval 1 of the day starting 2023-06-28 00:00 EST begins 05:00 UTC; 21.6 = 20.94+0.02+0.64."""
    payload = json.loads((shared_dir / "iso_samples" / "miso_dataexchange_da_expost_lmp_sample.json").read_text(),
                         parse_float=Decimal)
    [row] = parse_data_exchange_lmps(payload, "miso.json", market="da_expost", version=1)
    assert (row.node, row.market, row.interval_start_utc) == ("ALTW.WELLS1", "DA", datetime(2023, 6, 28, 5, tzinfo=UTC))
    assert (row.lmp_usd_per_mwh, row.energy_usd_per_mwh, row.congestion_usd_per_mwh, row.loss_usd_per_mwh) == (
        Decimal("21.6"), Decimal("20.94"), Decimal("0.02"), Decimal("0.64"))


def test_isone_sample_begin_dates_carry_offsets(shared_dir):
    """Every item of the ISO-NE sample begins 2026-07-27 17:25 EDT = 21:25 UTC; the hub is 68.04 = 67.88 + 0 + 0.16."""
    payload = json.loads((shared_dir / "iso_samples" / "isone_webservices_fiveminutelmp_sample.json").read_text())
    rows = parse_five_minute_lmps(payload, "isone.json", publish_time_utc=None, version=1)
    assert len(rows) == len(payload["FiveMinLmps"]["FiveMinLmp"]) and len(rows) > 1
    assert {row.interval_start_utc for row in rows} == {datetime(2026, 7, 27, 21, 25, tzinfo=UTC)}
    hub = next(row for row in rows if row.node == ".H.INTERNAL_HUB")
    assert (hub.lmp_usd_per_mwh, hub.energy_usd_per_mwh, hub.loss_usd_per_mwh) == (
        Decimal("68.04"), Decimal("67.88"), Decimal("0.16"))


def test_malformed_items_are_bad_input():
    """A MISO interval of 25 and an ISO-NE item without an offset are refused with their item number."""
    with pytest.raises(BadInput) as caught:
        parse_data_exchange_lmps({"data": [{"interval": "25", "timeInterval": {"start": "2023-06-28 00:00:00.000"},
                                            "node": "N", "lmp": 1, "mec": 1, "mcc": 0, "mlc": 0}]}, "m", market="da_expost",
                                 version=1)
    assert (caught.value.line, caught.value.field) == (1, "interval")
    item = {"LmpTotal": 1, "EnergyComponent": 1, "CongestionComponent": 0, "LossComponent": 0,
            "BeginDate": "2026-07-27T17:25:00", "Location": {"$": "X"}}
    with pytest.raises(BadInput, match="offset"):
        parse_five_minute_lmps({"FiveMinLmps": {"FiveMinLmp": item}}, "i", publish_time_utc=None, version=1)

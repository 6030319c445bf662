"""The tariff's demand window (`demandwindow`), hand-computed: block (clock-aligned, the default) and rolling
windows of 15, 30 and 60 minutes on 5- and 15-minute data, a window the data cannot show refused, and a real
record (ConEd SC-9) with a 30-minute window."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import BadInput
from settlement.tariffs import bill_tariff_json, unwrap_urdb_text
from tests.unit.settlement.tariff_fixtures import load_csv, rate_json, two_period_rate, utc

DENVER = ZoneInfo("America/Denver")
NEW_YORK = ZoneInfo("America/New_York")
DATA = Path(__file__).parent / "data"
ON_PEAK_START = utc(2026, 3, 10, 20)  # Tue Mar 10 2026 14:00 MDT: on-peak


def _rows(kwh: list[str], minutes: int) -> list[Any]:
    return [(ON_PEAK_START + timedelta(minutes=minutes * index), value) for index, value in enumerate(kwh)]


def _month(rate: dict[str, Any], rows: list[Any], kind: str = "block") -> dict[str, Any]:
    result = bill_tariff_json("rate.json", rate_json(rate), "load.csv", load_csv(rows), DENVER, demand_window=kind)
    month: dict[str, Any] = result["months"][0]
    return month


QUARTER_HOURS = _rows(["10", "30", "20", "4"], 15)  # 14:00, 14:15, 14:30, 14:45


@pytest.mark.parametrize(("window", "kind", "peak_kw"), [
    (None, "block", 120),      # no window: the highest 15-minute interval, 30 kWh x 4
    (15, "block", 120),        # a window equal to the interval changes nothing
    (30, "block", 80),         # 14:00-14:30: 10 + 30 = 40 kWh x 2; 14:30-15:00: 24 kWh x 2 = 48
    (30, "rolling", 100),      # windows ending 14:00, 14:15, 14:30, 14:45: 10, 40, 50, 24 kWh x 2
    (60, "block", 64),         # the hour: 64 kWh
    (60, "rolling", 64),       # nothing before 14:00 or after 14:45: the largest window is the hour
])
def test_demand_over_the_tariff_window_on_15_minute_data(window: int | None, kind: str, peak_kw: int) -> None:
    """On-peak TOU demand is 10 $/kW; flat demand 5 $/kW to 50 kW, then 4 $/kW."""
    rate = two_period_rate() if window is None else two_period_rate(demandwindow=window)
    month = _month(rate, QUARTER_HOURS, kind)
    assert Decimal(month["peak_kw"]) == peak_kw
    assert Decimal(month["demand_tou_charge_usd"]) == peak_kw * 10
    assert Decimal(month["demand_flat_charge_usd"]) == 50 * 5 + (peak_kw - 50) * 4


@pytest.mark.parametrize(("kind", "peak_kw"), [
    ("block", 32),    # 14:00-14:15: 1 + 1 + 6 = 8 kWh x 4; 14:15-14:30: 6 + 1 + 1 = 8 kWh x 4
    ("rolling", 52),  # the window ending 14:15 (14:05-14:20): 1 + 6 + 6 = 13 kWh x 4
])
def test_a_15_minute_window_on_5_minute_data(kind: str, peak_kw: int) -> None:
    """Raw 5-minute peak would be 6 kWh x 12 = 72 kW."""
    month = _month(two_period_rate(demandwindow=15), _rows(["1", "1", "6", "6", "1", "1"], 5), kind)
    assert Decimal(month["peak_kw"]) == peak_kw
    assert Decimal(month["demand_tou_charge_usd"]) == peak_kw * 10


def test_block_windows_follow_the_local_clock_in_a_half_hour_zone() -> None:
    """India (+05:30): 30-minute blocks start at local :00 and :30, i.e. UTC :30 and :00 too, but 60-minute blocks
    start at local :00 = UTC :30. 15-minute rows from 08:30 UTC (14:00 IST): 10, 30 | 20, 4 kWh -> 60-minute
    block 14:00-15:00 IST holds all 64 kWh (a UTC-aligned hour would split it 10+30+20 / 4)."""
    rows = [(utc(2026, 3, 10, 8) + timedelta(minutes=30 + 15 * index), value)
            for index, value in enumerate(["10", "30", "20", "4"])]
    result = bill_tariff_json("rate.json", rate_json(two_period_rate(demandwindow=60)), "load.csv", load_csv(rows),
                              ZoneInfo("Asia/Kolkata"))
    assert Decimal(result["months"][0]["peak_kw"]) == 64


def test_a_window_the_data_cannot_show_is_refused() -> None:
    """A 15-minute window on hourly data: the hourly average hides the 15-minute peak, so the bill is refused."""
    rows = [(ON_PEAK_START, "10"), (ON_PEAK_START + timedelta(hours=1), "20")]
    with pytest.raises(BadInput) as caught:
        _month(two_period_rate(demandwindow=15, label="hourly-test"), rows)
    assert caught.value.field == "demandwindow"
    assert "hourly-test" in str(caught.value) and "60-minute" in caught.value.reason


@pytest.mark.parametrize("window", [45, 0, -15, 7.5, 120])
def test_a_window_that_does_not_divide_the_hour_is_refused(window: Any) -> None:
    with pytest.raises(BadInput) as caught:
        _month(two_period_rate(demandwindow=window), QUARTER_HOURS)
    assert caught.value.field == "demandwindow"


def test_an_unknown_window_kind_is_refused() -> None:
    with pytest.raises(BadInput) as caught:
        _month(two_period_rate(demandwindow=30), QUARTER_HOURS, "sliding")
    assert caught.value.field == "demand_window"


def test_real_coned_record_with_a_30_minute_window() -> None:
    """ConEd SC-9 (URDB 67b78db9c1ba7352cd0c0853) with `demandWindow` 30 (the bulk-export spelling): July flat
    demand is 26.2 $/kW. 15-minute rows Wed Jul 15 2026 from 12:00 EDT: 10, 30, 20, 4 kWh -> 30-minute blocks 40
    and 24 kWh -> 80 kW -> 80 x 26.2 = 2,096 (on the raw 15-minute peak, 120 kW, it would be 3,144)."""
    rate = unwrap_urdb_text("coned.json", (DATA / "urdb_coned_sc9_zone_j.json").read_text())
    rows = [(utc(2026, 7, 15, 16) + timedelta(minutes=15 * index), value)
            for index, value in enumerate(["10", "30", "20", "4"])]
    for window, flat_usd in ((None, "3144"), (30, "2096")):
        record = rate if window is None else {**rate, "demandWindow": window}
        result = bill_tariff_json("coned.json", json.dumps(record, default=str), "load.csv", load_csv(rows),
                                  NEW_YORK)
        assert Decimal(result["months"][0]["demand_flat_charge_usd"]) == Decimal(flat_usd)
        assert result["tariff"]["demand_window_minutes"] == window


@settings(max_examples=40, deadline=None)
@given(energies=st.lists(st.integers(0, 5_000), min_size=2, max_size=48), window=st.sampled_from([15, 30, 60]))
def test_window_demand_equals_a_plain_reference(energies: list[int], window: int) -> None:
    """Property on 5-minute Wh data starting 14:00 local (two rows at least: one row alone reads as hourly): the block peak is the largest clock-aligned block sum and
    the rolling peak the largest sum of `window / 5` consecutive intervals (fewer at the start), in kW."""
    rows = _rows([str(Decimal(wh) / 1000) for wh in energies], 5)
    span = window // 5
    block_wh = max(sum(energies[start:start + span]) for start in range(0, len(energies), span))
    rolling_wh = max(sum(energies[max(0, end + 1 - span):end + 1]) for end in range(len(energies)))
    for kind, peak_wh in (("block", block_wh), ("rolling", rolling_wh)):
        month = _month(two_period_rate(demandwindow=window), rows, kind)
        assert Decimal(month["peak_kw"]) == Decimal(peak_wh * (60 // window)) / 1000


def test_a_window_on_a_tariff_without_demand_charges_changes_nothing() -> None:
    """An energy-only tariff with a 15-minute window on hourly data bills as without the window: the window has
    no charge to change. 10 + 20 kWh on-peak (14:00 and 15:00 MDT) at 0.20 -> 6.00; peak on the hourly data."""
    rate = {"label": "energy-only", "energyratestructure": [[{"rate": "0.10"}], [{"rate": "0.20"}]],
            "energyweekdayschedule": two_period_rate()["energyweekdayschedule"],
            "energyweekendschedule": two_period_rate()["energyweekendschedule"], "demandwindow": 15}
    rows = [(ON_PEAK_START, "10"), (ON_PEAK_START + timedelta(hours=1), "20")]
    month = _month(rate, rows)
    assert (Decimal(month["energy_charge_usd"]), Decimal(month["peak_kw"])) == (Decimal(6), Decimal(20))

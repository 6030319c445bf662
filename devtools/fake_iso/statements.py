"""The fake ISO's statement runs: accepted meter data x the fake's prices, INITIAL -> FINAL -> TRUEUP.

Two corrections are planted (see PlantedCorrections): the INITIAL run uses the first published price for one
hour and later runs the corrected one; the TRUEUP run settles one hour of one PTID on a corrected meter value.
Format: wattledger statement format v1 (market_adapters/reconciliation/statement.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from devtools.fake_iso.state import FakeIsoState
from market_adapters.prices import PriceRow
from market_adapters.reconciliation import CHARGE_TYPES, FORMAT, MEASURE_SIGNS

EASTERN = ZoneInfo("America/New_York")
RUNS = (("INITIAL", timedelta(days=5)), ("FINAL", timedelta(days=55)), ("TRUEUP", timedelta(days=180)))
CENT = Decimal("0.01")


def plant_price_correction(state: FakeIsoState) -> None:
    """Publish the corrected price (version 2) of the planted hour next to the first one."""
    assert state.planted is not None
    with state.lock:
        for row in list(state.prices):
            if row.interval_start_utc == state.planted.price_hour_utc and row.version == 1:
                state.prices.append(replace(row, lmp_usd_per_mwh=state.planted.price_corrected_usd_per_mwh,
                                            energy_usd_per_mwh=None, congestion_usd_per_mwh=None,
                                            loss_usd_per_mwh=None, version=2))


def statement_runs(state: FakeIsoState, operating_day: date) -> list[dict[str, Any]]:
    """All runs for `operating_day` (Eastern), each line with its delta against the previous run."""
    previous: dict[tuple[str, str, str], tuple[Decimal, Decimal]] = {}
    runs = []
    for sequence, (run_type, lag) in enumerate(RUNS, start=1):
        lines = _lines(state, operating_day, run_type)
        for line in lines:
            key = (line["charge_type"], line["resource_id"], line["interval_start_utc"])
            quantity, amount = Decimal(line["quantity_mwh"]), Decimal(line["amount_usd"])
            before = previous.get(key, (Decimal(0), Decimal(0)))
            line["quantity_delta_mwh"] = str(quantity - before[0])
            line["amount_delta_usd"] = str(amount - before[1])
            previous[key] = (quantity, amount)
        published = datetime.combine(operating_day, datetime.min.time(), UTC) + lag
        runs.append({"format": FORMAT, "statement_id": f"FAKE-NYISO-{operating_day}-{run_type}",
                     "iso": "NYISO", "operating_day": operating_day.isoformat(), "run_type": run_type,
                     "run_sequence": sequence, "published_at_utc": published.isoformat(), "lines": lines})
    return runs




def _lines(state: FakeIsoState, operating_day: date, run_type: str) -> list[dict[str, Any]]:
    with state.lock:
        stored = sorted((key, versions[-1]) for key, versions in state.metering.items())
        prices = list(state.prices)
    lines: list[dict[str, Any]] = []
    for (collection, ptid, hour_utc), value in stored:
        if hour_utc.astimezone(EASTERN).date() != operating_day:
            continue
        quantity = sum((MEASURE_SIGNS[name] * amount for name, amount in value.measures.items()), Decimal(0))
        planted = state.planted
        if run_type == "TRUEUP" and planted and (ptid, hour_utc) == (planted.meter_ptid, planted.meter_hour_utc):
            quantity += planted.meter_delta_mwh
        node = state.ptid_nodes[ptid]
        price = _price(prices, node, hour_utc, first_only=run_type == "INITIAL")
        amount = (quantity * price).quantize(CENT, rounding=ROUND_HALF_EVEN)
        lines.append({"line_no": len(lines) + 1, "charge_type": CHARGE_TYPES[collection], "resource_id": str(ptid),
                      "node": node, "interval_start_utc": hour_utc.isoformat(), "interval_minutes": 60,
                      "quantity_mwh": str(quantity), "price_usd_per_mwh": str(price), "amount_usd": str(amount)})
    return lines


def _price(prices: list[PriceRow], node: str, hour_utc: datetime, *, first_only: bool) -> Decimal:
    matching = [row for row in prices if row.node == node and row.interval_start_utc == hour_utc
                and row.interval_minutes == 60 and (row.version == 1 or not first_only)]
    assert matching, f"fake ISO has no price for {node} at {hour_utc}"
    return max(matching, key=lambda row: row.version).lmp_usd_per_mwh

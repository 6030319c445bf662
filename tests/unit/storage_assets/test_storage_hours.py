"""A battery's period from validated intervals: hourly sources of the charge, discharge split by consumption, the
pool's prices and losses, on hand-worked figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa

from campus import Meter, MeterRole, StorageAsset
from meterdata.schema import INTERVAL_SCHEMA
from settlement.storage_hours import discharge_by_party, storage_hours, storage_period
from settlement.storage_pool import AMOUNT_COST, Lot, Pool

H0 = datetime(2026, 1, 5, 0, tzinfo=UTC)
H1 = H0 + timedelta(hours=1)
METERS = [Meter("GRID", MeterRole.GRID_IMPORT, "kWh", 60), Meter("PV", MeterRole.GENERATION, "kWh", 60),
          Meter("A", MeterRole.TENANT, "kWh", 60, tenant_id="alpha"),
          Meter("B", MeterRole.TENANT, "kWh", 60, tenant_id="beta"),
          Meter("CHG", MeterRole.STORAGE_CHARGE, "kWh", 60), Meter("DIS", MeterRole.STORAGE_DISCHARGE, "kWh", 60)]
ASSET = StorageAsset("bess1", "CHG", "DIS", 2_000_000, 1_000, 800, 950, losses_key=(("alpha", 3), ("beta", 1)))
# Hour 0: grid 3 000 000 + solar 1 000 000 = alpha 2 000 000 + beta 1 000 000 + charge 1 000 000.
# Hour 1: grid 1 500 000 + discharge 900 000 = alpha 2 000 000 + beta 400 000.
READINGS = {("GRID", H0): 3_000_000, ("PV", H0): 1_000_000, ("A", H0): 2_000_000, ("B", H0): 1_000_000,
            ("CHG", H0): 1_000_000, ("DIS", H0): 0,
            ("GRID", H1): 1_500_000, ("PV", H1): 0, ("A", H1): 2_000_000, ("B", H1): 400_000,
            ("CHG", H1): 0, ("DIS", H1): 900_000}
RATES = {"grid_import": {AMOUNT_COST: Decimal(40)}, "generation:PV": {AMOUNT_COST: Decimal(25)}}


def _table() -> pa.Table:
    keys = sorted(READINGS)
    count = len(keys)
    return pa.table({
        "meter_id": [meter for meter, _ in keys], "channel": ["main"] * count,
        "interval_start_utc": [hour for _, hour in keys], "interval_minutes": [60] * count,
        "energy_wh": [READINGS[key] for key in keys], "quality": [0] * count, "source_sha256": [""] * count,
        "source_row": list(range(count)),
    }, schema=INTERVAL_SCHEMA)


def _pairs(lots: tuple[Lot, ...]) -> list[tuple[str, int, int]]:
    return [(lot.source, lot.energy_wh, lot.amount(AMOUNT_COST)) for lot in lots]


def test_hours_name_the_sources_and_the_consumers() -> None:
    hours = storage_hours(_table(), METERS, ASSET)
    assert [(h.hour_start_utc, h.charge_wh, h.discharge_wh) for h in hours] == [(H0, 1_000_000, 0), (H1, 0, 900_000)]
    assert hours[0].supply_wh_by_source == {"grid_import": 3_000_000, "generation:PV": 1_000_000}
    assert hours[1].load_wh_by_party == {"alpha": 2_000_000, "beta": 400_000}


def test_discharge_follows_the_hours_consumption() -> None:
    """900 000 Wh over 2 000 000 : 400 000 is 750 000 : 150 000; 10 Wh over 10 : 10 : 10 gives the extra Wh to the
    first id."""
    assert discharge_by_party(900_000, {"alpha": 2_000_000, "beta": 400_000}) == {"alpha": 750_000, "beta": 150_000}
    assert discharge_by_party(10, {"c": 10, "a": 10, "b": 10}) == {"a": 4, "b": 3, "c": 3}


def test_the_period_prices_the_discharge_by_what_charged_it() -> None:
    """Hour 0's charge: 250 000 Wh solar at $25 ($6.25) and 750 000 Wh grid at $40 ($30). FIFO: alpha's 750 000 Wh
    are the solar lot and 500 000 Wh of grid ($20); beta's 150 000 Wh are grid ($6). 100 000 Wh left ($4), 20 000
    still stored: 80 000 Wh lost, 3:1 -> alpha 60 000 ($2.40), beta 20 000 ($0.80); 20 000 Wh ($0.80) carried."""
    period = storage_period(ASSET, storage_hours(_table(), METERS, ASSET), Pool("fifo"), 20_000, RATES)
    assert _pairs(period.taken_by_party["alpha"]) == [("generation:PV", 250_000, 6_250_000),
                                                      ("grid_import", 500_000, 20_000_000)]
    assert _pairs(period.taken_by_party["beta"]) == [("grid_import", 150_000, 6_000_000)]
    assert _pairs(period.losses_by_party["alpha"]) == [("grid_import", 60_000, 2_400_000)]
    assert _pairs(period.losses_by_party["beta"]) == [("grid_import", 20_000, 800_000)]
    assert _pairs(period.closing.lots) == [("grid_import", 20_000, 800_000)]


def test_an_hour_may_carry_its_own_rates() -> None:
    """Grid at $80 in hour 0: the 750 000 Wh grid lot costs $60, alpha's 500 000 Wh of it $40."""
    hourly = {H0: {"grid_import": {AMOUNT_COST: Decimal(80)}, "generation:PV": {AMOUNT_COST: Decimal(25)}}}
    period = storage_period(ASSET, storage_hours(_table(), METERS, ASSET), Pool("fifo"), 20_000, RATES, hourly)
    assert _pairs(period.taken_by_party["alpha"])[1] == ("grid_import", 500_000, 40_000_000)

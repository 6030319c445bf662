"""Discharge into export and discharge no metered use took: the hour's split (export beyond generation first, the
on-site load by metered Wh, the rest of the export; nobody beyond what it used), the pool's prices and losses with
the export as a taker, and conservation — all on hand-worked figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest

from campus import Meter, MeterRole, StorageAsset
from meterdata.schema import INTERVAL_SCHEMA
from settlement.storage_hours import (
    discharge_by_party,
    storage_figures,
    storage_hours,
    storage_period,
    unmetered_wh,
)
from settlement.storage_pool import (
    AMOUNT_COST,
    Lot,
    Pool,
    StorageInterval,
    StoragePoolShort,
    charge_lots,
    losses_shares_wh,
    make_lot,
    settle_storage_period,
)

H0 = datetime(2026, 1, 5, 0, tzinfo=UTC)
H1 = H0 + timedelta(hours=1)
METERS = [Meter("GRID", MeterRole.GRID_IMPORT, "kWh", 60), Meter("PV", MeterRole.GENERATION, "kWh", 60),
          Meter("EXP", MeterRole.EXPORT, "kWh", 60),
          Meter("A", MeterRole.TENANT, "kWh", 60, tenant_id="alpha"),
          Meter("B", MeterRole.TENANT, "kWh", 60, tenant_id="beta"),
          Meter("CHG", MeterRole.STORAGE_CHARGE, "kWh", 60), Meter("DIS", MeterRole.STORAGE_DISCHARGE, "kWh", 60)]
ASSET = StorageAsset("bess1", "CHG", "DIS", 2_000_000, 1_000, 800, 950, losses_key=(("alpha", 3), ("beta", 1)))
# Hour 0: grid 3 000 000 + solar 1 000 000 = alpha 2 000 000 + beta 1 000 000 + charge 1 000 000.
# Hour 1: discharge 900 000 = export 600 000 + alpha 200 000 + beta 100 000 (no grid, no solar).
READINGS = {("GRID", H0): 3_000_000, ("PV", H0): 1_000_000, ("EXP", H0): 0, ("A", H0): 2_000_000,
            ("B", H0): 1_000_000, ("CHG", H0): 1_000_000, ("DIS", H0): 0,
            ("GRID", H1): 0, ("PV", H1): 0, ("EXP", H1): 600_000, ("A", H1): 200_000, ("B", H1): 100_000,
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


def test_export_beyond_generation_is_the_batterys_first() -> None:
    """No generation, 1 000 000 Wh exported: only the battery can have supplied it, so it takes the whole
    discharge and alpha (served by the grid) none."""
    assert discharge_by_party(1_000_000, {"alpha": 500_000}, export_wh=1_000_000, generation_wh=0) == \
        {"export": 1_000_000}


def test_export_generation_covers_leaves_the_discharge_to_the_on_site_load() -> None:
    """1 000 000 Wh of solar exported: the export is the generation's, the discharge alpha's."""
    assert discharge_by_party(1_000_000, {"alpha": 1_000_000}, export_wh=1_000_000, generation_wh=1_000_000) == \
        {"alpha": 1_000_000}


def test_the_rest_goes_to_the_load_by_metered_wh_then_to_the_rest_of_the_export() -> None:
    """Generation 400 000, export 1 000 000: 600 000 to the export first; 300 000 left over alpha 200 000 : shared
    100 000. Then generation 1 000 000 covers the export, alpha takes its 500 000 and the export the other 300 000."""
    assert discharge_by_party(900_000, {"alpha": 200_000, "shared": 100_000}, 1_000_000, 400_000) == \
        {"alpha": 200_000, "export": 600_000, "shared": 100_000}
    assert discharge_by_party(800_000, {"alpha": 500_000}, 1_000_000, 1_000_000) == \
        {"alpha": 500_000, "export": 300_000}


def test_no_party_takes_more_than_it_used_and_the_excess_is_unmetered() -> None:
    """1 000 Wh out, alpha used 300 and 200 went out with no generation: 200 export, 300 alpha, 500 unmetered; an
    hour where nothing used energy leaves the whole discharge unmetered instead of failing."""
    assert discharge_by_party(1_000, {"alpha": 300}, export_wh=200) == {"alpha": 300, "export": 200}
    assert discharge_by_party(5_000, {}) == {}
    hours = storage_hours(_table(), METERS, ASSET)
    assert (hours[1].export_wh, unmetered_wh(hours[1])) == (600_000, 0)


def test_charge_with_no_metered_supply_is_one_lot_of_unknown_source_at_no_cost() -> None:
    assert _pairs(charge_lots(500, {"grid_import": 0}, RATES)) == [("unmetered", 500, 0)]


def test_the_export_takes_its_share_of_the_pool_and_of_the_losses() -> None:
    """Hour 0's charge: 250 000 Wh solar ($6.25) and 750 000 Wh grid ($30). Hour 1, FIFO in id order: alpha 200 000
    of solar ($5), beta 50 000 of solar ($1.25) and 50 000 of grid ($2), the export 600 000 of grid ($24). 100 000 Wh
    ($4) left, 20 000 still stored: 80 000 lost. The export took 600 000 of 900 000: 53 333 Wh of the losses (exact
    53 333.3, largest remainder gives the extra Wh to the tenants' 26 666.7); 26 667 by the key 3:1 is alpha 20 000,
    beta 6 667. All grid at $40: alpha $0.80, beta $0.26668, the export $2.13332; 20 000 Wh ($0.80) carried."""
    period = storage_period(ASSET, storage_hours(_table(), METERS, ASSET), Pool("fifo"), 20_000, RATES)
    assert _pairs(period.taken_by_party["alpha"]) == [("generation:PV", 200_000, 5_000_000)]
    assert _pairs(period.taken_by_party["beta"]) == [("generation:PV", 50_000, 1_250_000),
                                                     ("grid_import", 50_000, 2_000_000)]
    assert _pairs(period.taken_by_party["export"]) == [("grid_import", 600_000, 24_000_000)]
    assert {party: _pairs(lots) for party, lots in period.losses_by_party.items()} == {
        "alpha": [("grid_import", 20_000, 800_000)], "beta": [("grid_import", 6_667, 266_680)],
        "export": [("grid_import", 53_333, 2_133_320)]}
    assert _pairs(period.closing.lots) == [("grid_import", 20_000, 800_000)]
    drawn = [lot for lots in [*period.taken_by_party.values(), *period.losses_by_party.values()] for lot in lots]
    assert sum(lot.amount(AMOUNT_COST) for lot in drawn) + 800_000 == 6_250_000 + 30_000_000
    figures = storage_figures(storage_hours(_table(), METERS, ASSET), period)
    assert (figures["exported_wh"], figures["exported_cost_usd_micros"], figures["exported_losses_wh"],
            figures["exported_losses_cost_usd_micros"], figures["unmetered_discharge_wh"]) == \
        (600_000, 24_000_000, 53_333, 2_133_320, 0)


def test_discharge_no_use_took_ends_in_the_losses_by_the_key() -> None:
    """Opening 1 000 000 Wh of grid at $40. Hour A discharges 100 000 Wh with nothing metered using it: not drawn.
    Hour B: alpha takes 300 000 ($12). 500 000 still stored: the pool's 700 000 less that is 200 000 lost (the
    100 000 unmetered among them), 3:1 -> alpha 150 000 ($6), beta 50 000 ($2); 500 000 ($20) carried."""
    opening = Pool("fifo", (make_lot("grid_import", 1_000_000, {AMOUNT_COST: 40_000_000}),))
    intervals = [StorageInterval((), {}, 100_000), StorageInterval((), {"alpha": 300_000})]
    period = settle_storage_period(opening, intervals, 500_000, dict(ASSET.losses_key))
    assert (period.losses_wh, period.unmetered_discharge_wh) == (200_000, 100_000)
    assert _pairs(period.taken_by_party["alpha"]) == [("grid_import", 300_000, 12_000_000)]
    assert {party: _pairs(lots) for party, lots in period.losses_by_party.items()} == {
        "alpha": [("grid_import", 150_000, 6_000_000)], "beta": [("grid_import", 50_000, 2_000_000)]}
    assert _pairs(period.closing.lots) == [("grid_import", 500_000, 20_000_000)]


def test_without_a_key_the_export_shares_the_losses_by_energy_taken() -> None:
    """90 Wh lost, alpha took 200 and the export 100: 60 and 30. With nobody and no key: the operator."""
    assert losses_shares_wh(90, {}, {"alpha": 200, "export": 100}) == {"alpha": 60, "export": 30}
    assert losses_shares_wh(90, {}, {}) == {"operator": 90}


def test_more_drawn_than_the_pool_holds_is_refused_naming_battery_party_and_hour() -> None:
    """Hour 1 alone (nothing charged, an empty pool): alpha, first in id order, cannot take its 200 000 Wh."""
    hours = storage_hours(_table(), METERS, ASSET)[1:]
    with pytest.raises(StoragePoolShort) as refused:
        storage_period(ASSET, hours, Pool("fifo"), 0, RATES)
    assert str(refused.value) == (
        "battery bess1: alpha took 200000 Wh in the interval starting 2026-01-05T01:00:00+00:00: 200000 Wh drawn "
        "from a battery holding 0 Wh of charged energy (see the VEE report's storage findings)")

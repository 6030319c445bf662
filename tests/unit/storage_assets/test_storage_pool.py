"""The charging-source pool behind a battery: FIFO and pro-rata on hand-worked figures, the billed lines, and
conservation of energy, cost and every amount on generated periods."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campus import StorageAsset, StorageService
from settlement.storage_lines import storage_energy_lines, storage_service_lines
from settlement.storage_pool import (
    AMOUNT_COST,
    Lot,
    Pool,
    PoolMethod,
    StorageInterval,
    StoragePoolShort,
    charge_lots,
    estimated_stored_wh_end,
    make_lot,
    settle_storage_period,
)

PV = "generation:PV1-GEN"
GRID = "grid_import"


def _intervals() -> list[StorageInterval]:
    """Hour 1: 1 000 000 Wh charged while the grid gave 3 000 000 Wh at $40/MWh and the solar PPA 1 000 000 Wh at
    $25/MWh: 250 000 Wh of solar ($6.25) and 750 000 Wh of grid ($30). Hour 2: 500 000 Wh from the grid at $80
    ($40). Hour 3: alpha takes 900 000 Wh, beta 300 000 Wh."""
    hour1 = charge_lots(1_000_000, {GRID: 3_000_000, PV: 1_000_000},
                        {GRID: {AMOUNT_COST: Decimal(40)}, PV: {AMOUNT_COST: Decimal(25)}})
    hour2 = charge_lots(500_000, {GRID: 2_000_000}, {GRID: {AMOUNT_COST: Decimal(80)}})
    return [StorageInterval(hour1), StorageInterval(hour2),
            StorageInterval(discharge_wh_by_party={"beta": 300_000, "alpha": 900_000})]


def _pairs(lots: tuple[Lot, ...]) -> list[tuple[str, int, int]]:
    return [(lot.source, lot.energy_wh, lot.amount(AMOUNT_COST)) for lot in lots]


def test_charge_lots_split_the_charge_by_what_each_source_supplied() -> None:
    lots = _intervals()[0].charge_lots
    assert _pairs(lots) == [(PV, 250_000, 6_250_000), (GRID, 750_000, 30_000_000)]


def test_fifo_takes_the_oldest_charge_first_and_losses_follow_the_key() -> None:
    """alpha draws first: solar 250 000 ($6.25) and 650 000 of the $40 grid lot ($26). beta: the 100 000 left of
    it ($4) and 200 000 of the $80 lot ($16): 300 000 Wh for $20, $66.666667/MWh. 300 000 Wh left, 250 000 still
    stored: 50 000 Wh lost, 3:1 -> alpha 37 500 Wh ($3), beta 12 500 Wh ($1), all from the $80 lot. Closing: 250 000
    Wh for $20."""
    period = settle_storage_period(Pool("fifo"), _intervals(), 250_000, {"alpha": 3, "beta": 1})
    assert {party: _pairs(lots) for party, lots in period.taken_by_party.items()} == {
        "alpha": [(PV, 250_000, 6_250_000), (GRID, 650_000, 26_000_000)],
        "beta": [(GRID, 300_000, 20_000_000)]}
    assert period.losses_wh == 50_000
    assert {party: _pairs(lots) for party, lots in period.losses_by_party.items()} == {
        "alpha": [(GRID, 37_500, 3_000_000)], "beta": [(GRID, 12_500, 1_000_000)]}
    assert _pairs(period.closing.lots) == [(GRID, 250_000, 20_000_000)]


def test_pro_rata_takes_the_average_of_the_pool() -> None:
    """Pool after hour 2: solar 250 000 ($6.25, $25/MWh), grid 1 250 000 ($70, $56/MWh): 1 to 5. alpha's 900 000 Wh
    are 150 000 solar ($3.75) and 750 000 grid ($42). beta's 12 500 Wh of losses split 2 083.33 : 10 416.67 ->
    2 083 solar ($0.052075) and 10 417 grid ($0.583352), the averages kept."""
    period = settle_storage_period(Pool("pro_rata"), _intervals(), 250_000, {"alpha": 3, "beta": 1})
    assert _pairs(period.taken_by_party["alpha"]) == [(PV, 150_000, 3_750_000), (GRID, 750_000, 42_000_000)]
    assert _pairs(period.taken_by_party["beta"]) == [(PV, 50_000, 1_250_000), (GRID, 250_000, 14_000_000)]
    assert _pairs(period.losses_by_party["alpha"]) == [(PV, 6_250, 156_250), (GRID, 31_250, 1_750_000)]
    assert _pairs(period.losses_by_party["beta"]) == [(PV, 2_083, 52_075), (GRID, 10_417, 583_352)]


def test_without_a_key_losses_follow_the_energy_taken() -> None:
    """alpha took 900 000 Wh and beta 300 000: 50 000 Wh lost split 37 500 : 12 500 as with the 3:1 key."""
    period = settle_storage_period(Pool("fifo"), _intervals(), 250_000, {})
    assert {party: sum(lot.energy_wh for lot in lots) for party, lots in period.losses_by_party.items()} == \
        {"alpha": 37_500, "beta": 12_500}


def test_more_out_than_in_is_refused() -> None:
    with pytest.raises(StoragePoolShort, match="1500001 Wh drawn"):
        Pool("fifo", (make_lot(GRID, 1_500_000),)).drawn(1_500_001)
    with pytest.raises(StoragePoolShort, match="300001 Wh stored at the end"):
        settle_storage_period(Pool("fifo"), _intervals(), 300_001, {})


def test_lines_bill_the_tenants_the_cost_of_their_charging_energy() -> None:
    period = settle_storage_period(Pool("fifo"), _intervals(), 250_000, {"alpha": 3, "beta": 1})
    lines = storage_energy_lines("bess1", period, {"alpha", "beta"}, 7, "ab" * 32)
    assert [(l.line_no, l.tenant_id, l.clause, l.quantity_wh, l.rate_usd_per_mwh, l.amount_usd_micros)
            for l in lines] == [
        (7, "alpha", "storage.supply", 250_000, Decimal("25.000000"), 6_250_000),
        (8, "alpha", "storage.supply", 650_000, Decimal("40.000000"), 26_000_000),
        (9, "beta", "storage.supply", 300_000, Decimal("66.666667"), 20_000_000),
        (10, "alpha", "storage.losses", 37_500, Decimal("80.000000"), 3_000_000),
        (11, "beta", "storage.losses", 12_500, Decimal("80.000000"), 1_000_000)]
    assert lines[0].description == f"Battery supply (bess1), charged from {PV}"


def test_a_storage_service_is_a_fixed_monthly_charge() -> None:
    asset = StorageAsset("bess1", "C", "D", 8_000_000, 2_000, 820, 920,
                         services=(StorageService("alpha-backup", "alpha", 2_000_000, Decimal("1250.50")),))
    [line] = storage_service_lines(asset, {"alpha", "beta"}, 1)
    assert (line.tenant_id, line.unit, line.quantity_wh, line.amount_usd_micros) == \
        ("alpha", "month", 1, 1_250_500_000)
    assert len(line.inputs_sha256_hex) == 64
    assert storage_service_lines(asset, {"beta"}, 1) == []


_charge = st.tuples(st.integers(0, 10**7), st.integers(0, 10**7), st.integers(1, 10**7),
                    st.integers(-200, 5000), st.integers(0, 900))
_discharge = st.dictionaries(st.sampled_from(["alpha", "beta", "gamma"]), st.integers(0, 10**7), max_size=3)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_charge, _discharge), max_size=12), st.sampled_from(["fifo", "pro_rata"]),
       st.integers(0, 100), st.dictionaries(st.sampled_from(["alpha", "beta"]), st.integers(0, 5), max_size=2))
def test_energy_cost_and_carbon_are_conserved(steps: list[tuple[tuple[int, int, int, int, int], dict[str, int]]],
                                               method: PoolMethod, stored_permille: int,
                                               key: dict[str, int]) -> None:
    """Whatever the charges, prices (negative too) and draws: opening + charged = taken + losses + closing, to the
    Wh, the micro-USD and the gram; each party takes exactly the Wh it asked for."""
    opening = Pool(method, (make_lot("opening", 1_000, {AMOUNT_COST: 0, "co2e_g": 0}),))
    intervals, charged, pool_wh = [], [opening.lots[0]], opening.energy_wh
    for (charge_wh, grid_wh, pv_wh, price, grams), wanted in steps:
        lots = charge_lots(charge_wh, {GRID: grid_wh, PV: pv_wh},
                           {GRID: {AMOUNT_COST: Decimal(price), "co2e_g": Decimal(grams) / 1000},
                            PV: {AMOUNT_COST: Decimal("25.5")}})
        pool_wh += charge_wh
        # Draw no more than the pool holds: cap each party in id order.
        capped = {}
        for party in sorted(wanted):
            capped[party] = min(wanted[party], pool_wh)
            pool_wh -= capped[party]
        intervals.append(StorageInterval(lots, capped))
        charged += lots
    stored_wh_end = pool_wh * stored_permille // 100 if stored_permille <= 100 else pool_wh
    period = settle_storage_period(opening, intervals, min(stored_wh_end, pool_wh), key)
    out = [lot for lots in period.taken_by_party.values() for lot in lots] + \
        [lot for lots in period.losses_by_party.values() for lot in lots] + list(period.closing.lots)
    for name in (AMOUNT_COST, "co2e_g"):
        assert sum(lot.amount(name) for lot in out) == sum(lot.amount(name) for lot in charged)
    assert sum(lot.energy_wh for lot in out) == sum(lot.energy_wh for lot in charged)
    for party in ("alpha", "beta", "gamma"):
        asked = sum(interval.discharge_wh_by_party.get(party, 0) for interval in intervals)
        assert sum(lot.energy_wh for lot in period.taken_by_party.get(party, ())) == asked
    assert period.losses_wh == sum(lot.energy_wh for lots in period.losses_by_party.values() for lot in lots)


def test_the_stored_energy_is_estimated_without_a_state_of_charge() -> None:
    """Start 1 000 000, 2 000 000 in at the middle of 820-920 ‰ (870 ‰: 1 740 000 kept), 1 500 000 out: 1 240 000.
    Kept within the floor (400 000) and capacity (8 000 000)."""
    assert estimated_stored_wh_end(1_000_000, 2_000_000, 1_500_000, 820, 920, 400_000, 8_000_000) == 1_240_000
    assert estimated_stored_wh_end(1_000_000, 0, 900_000, 820, 920, 400_000, 8_000_000) == 400_000
    assert estimated_stored_wh_end(7_000_000, 2_000_000, 0, 820, 920, 400_000, 8_000_000) == 8_000_000

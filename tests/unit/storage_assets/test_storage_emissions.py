"""Carbon carried through a battery's charging-source pool on hand-worked figures, and conservation of grams and
certificate Wh: lots charged with grams at each source's intensity of the hour (g/kWh / 1000 per Wh) and the
certificate-covered share of their Wh, beside cost, as esg.scopes.storage_carry fills them in a cycle."""

from __future__ import annotations

from decimal import Decimal

from esg.scopes.storage_carry import AMOUNT_CERTIFICATE_WH
from settlement.storage_pool import (
    AMOUNT_COST,
    Lot,
    Pool,
    PoolMethod,
    StorageInterval,
    StoragePeriod,
    charge_lots,
    settle_storage_period,
)

GRID = "grid_import"
PV = "generation:PV1-GEN"
AMOUNT_LOCATION_G = "co2e_g_location"
AMOUNT_MARKET_G = "co2e_g_market"
WH_PER_KWH = Decimal(1000)


def _rates(location_g_per_kwh: int, market_g_per_kwh: int, certificate_share: str, usd_per_mwh: int
           ) -> dict[str, Decimal]:
    # micro-USD per Wh is USD per MWh.
    return {AMOUNT_LOCATION_G: location_g_per_kwh / WH_PER_KWH, AMOUNT_MARKET_G: market_g_per_kwh / WH_PER_KWH,
            AMOUNT_CERTIFICATE_WH: Decimal(certificate_share), AMOUNT_COST: Decimal(usd_per_mwh)}


def _received(lots: tuple[Lot, ...]) -> tuple[int, int, int, int]:
    """Wh, location g, market g and certificate Wh of lots."""
    return (sum(lot.energy_wh for lot in lots), sum(lot.amount(AMOUNT_LOCATION_G) for lot in lots),
            sum(lot.amount(AMOUNT_MARKET_G) for lot in lots), sum(lot.amount(AMOUNT_CERTIFICATE_WH) for lot in lots))


def _period(method: PoolMethod) -> tuple[StoragePeriod, tuple[Lot, ...]]:
    """Hour 1 (night): 1 000 000 Wh from the grid at 500 g/kWh location, 600 g/kWh market, 20 % covered by
    certificates matched in that hour: 500 000 g, 600 000 g, 200 000 certificate Wh, at $30/MWh ($30).
    Hour 2 (noon): 1 000 000 Wh charged while solar gave 3 000 000 Wh and the grid 1 000 000 Wh at 300 / 350 g/kWh,
    no certificates: 750 000 Wh solar (0 g, $25/MWh: $18.75) and 250 000 Wh grid (75 000 g, 87 500 g, $40: $10).
    Hour 3: alpha takes 1 200 000 Wh. End: 600 000 Wh stored, so 200 000 Wh lost (no key: all alpha's)."""
    hour1 = charge_lots(1_000_000, {GRID: 4_000_000}, {GRID: _rates(500, 600, "0.2", 30)})
    hour2 = charge_lots(1_000_000, {GRID: 1_000_000, PV: 3_000_000},
                        {GRID: _rates(300, 350, "0", 40), PV: _rates(0, 0, "0", 25)})
    intervals = [StorageInterval(hour1), StorageInterval(hour2),
                 StorageInterval(discharge_wh_by_party={"alpha": 1_200_000})]
    return settle_storage_period(Pool(method), intervals, 600_000, {}), hour1 + hour2


def test_fifo_discharge_carries_the_night_grid_intensity() -> None:
    """FIFO: alpha's 1 200 000 Wh are the whole night lot (500 000 g, 600 000 g, 200 000 certificate Wh) and
    200 000 Wh of the noon solar lot (0 g): 416.67 g/kWh location, 500 g/kWh market. The 200 000 Wh lost are
    the next solar Wh: 0 g."""
    period, _ = _period("fifo")
    assert set(period.taken_by_party) == set(period.losses_by_party) == {"alpha"}
    taken = _received(period.taken_by_party["alpha"])
    assert taken == (1_200_000, 500_000, 600_000, 200_000)
    assert _received(period.losses_by_party["alpha"])[:3] == (200_000, 0, 0)
    energy_wh, location_g, market_g, _ = taken
    intensity = (Decimal(location_g) * WH_PER_KWH / energy_wh, Decimal(market_g) * WH_PER_KWH / energy_wh)
    assert (round(intensity[0], 2), intensity[1]) == (Decimal("416.67"), Decimal(500))


def test_pro_rata_discharge_carries_the_average_and_losses_their_own_grams() -> None:
    """Pool: grid 1 250 000 Wh (575 000 g location, 687 500 g market, 200 000 certificate Wh), solar 750 000 Wh.
    alpha's 1 200 000 Wh: 750 000 grid (345 000 g, 412 500 g, 120 000 Wh) and 450 000 solar. Losses 200 000 Wh:
    125 000 grid (57 500 g, 68 750 g) and 75 000 solar. Left: 375 000 grid (172 500 g, 206 250 g), 225 000 solar."""
    period, charged = _period("pro_rata")
    assert _received(period.taken_by_party["alpha"]) == (1_200_000, 345_000, 412_500, 120_000)
    assert _received(period.losses_by_party["alpha"])[:3] == (200_000, 57_500, 68_750)
    for name in (AMOUNT_LOCATION_G, AMOUNT_MARKET_G, AMOUNT_CERTIFICATE_WH, AMOUNT_COST):
        out = sum(lot.amount(name) for lot in period.taken_by_party["alpha"]) + \
            sum(lot.amount(name) for lot in period.losses_by_party["alpha"]) + \
            sum(lot.amount(name) for lot in period.closing.lots)
        assert out == sum(lot.amount(name) for lot in charged), name
    assert [(lot.source, lot.energy_wh, lot.amount(AMOUNT_LOCATION_G)) for lot in period.closing.lots] == \
        [(GRID, 375_000, 172_500), (PV, 225_000, 0)]

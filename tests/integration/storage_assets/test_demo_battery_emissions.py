"""The demo battery's grams through the real cycle (HTTP API -> Temporal dev server -> worker -> PostgreSQL): the
settle step's emissions carry the grams of the hours that charged bess1 to the tenants that took its energy, keep
the closing pool with its grams, and the next period opens from it.

Worked out here from the validated meter data of October 2026 (seed 89; no other test sends it) and the factor
library, independently of the engine: hour by hour (UTC), the battery's charge is a consumer of the hour, so its
location-based grid grams are grid import x the NYUP total-output rate (CO2 + GWP-weighted CH4 and N2O, lb/MWh x
453.59237 g/lb) x charge / (tenants + shared + charge); its charge is taken from the hour's sources pro rata (largest
remainder, sources in name order) and the grid lot carries those grams; the discharge goes to the hour's consumers
by their consumption (largest remainder, parties in id order, `shared` last) and draws FIFO, the 1 000 000 Wh stored
before the books began first (no grams); at the end the losses are drawn 2:1:1. Charge (375 000 + 89) Wh x 496 intervals
= 186 044 144 Wh, discharge (318 750 + 89) x 496 = 158 144 144 Wh; stored at the end 1 000 000 + 186 044 144 x 0.87
(161 858 405.28, rounded 161 858 405) - 158 144 144 = 4 714 261 Wh of the 28 900 000 Wh the pool holds. The engine rounds each figure
once and moves whole grams by largest remainder at each draw (under 1 g each, in either direction), so each tenant's
grams agree with the exact figure here to a couple of grams: worked out 604 487.16 g (acme-ai, 274 lot pieces),
363 533.35 g (borealis-labs), 298 451.54 g (cirrus-cloud) of location-based grid grams from the battery.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, text
from temporalio.client import Client

from billing.registration import inbox_folder
from campus import MeterRole, load_meters
from common.uri import read_uri_bytes
from demo.site_export import write_site_export
from devtools.fake_iso.pki import TestPki as IsoPki
from esg.factors import G_PER_LB, load_factor_library
from esg.scopes import CycleEmissions, MeterRef, compute_cycle_emissions, load_campus_emission_settings
from settings import Settings
from settlement import allocate_largest_remainder
from tests.integration.cycle_stack import running_cycle_stack, wait_for_cycle

CAMPUS_ID = "it-battery-emissions"
SEED = 89
TENANTS = ("acme-ai", "borealis-labs", "cirrus-cloud")
LOSSES_KEY = {"acme-ai": 2, "borealis-labs": 1, "cirrus-cloud": 1}
STORED_WH_START = 1_000_000
FIGURE = "scope2_grid_location"


@pytest.fixture(scope="module")
async def api(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory,
              fake_iso: tuple[str, IsoPki]) -> AsyncIterator[tuple[httpx.AsyncClient, Settings, Client]]:
    async with running_cycle_stack(engine, database_url, tmp_path_factory.mktemp("wattledger-home"), fake_iso,
                                   CAMPUS_ID, "test.wattledger/battery-emissions") as stack:
        yield stack


async def settled_cycle(http: httpx.AsyncClient, settings: Settings, period: str, year: int, month: int) -> str:
    write_site_export(inbox_folder(settings, CAMPUS_ID, period), year, month, seed=SEED)
    started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": period})
    assert started.status_code == 202, started.text
    cycle = await wait_for_cycle(http, started.json()["cycle_id"], {"awaiting_approval", "failed"})
    assert cycle["status"] == "awaiting_approval", cycle["status_detail"]
    return str(started.json()["cycle_id"])


def step(engine: Engine, cycle_id: str, name_prefix: str) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT result_json FROM cycle_step WHERE cycle_id = :c AND step LIKE :s"
                                      " ORDER BY step LIMIT 1"), {"c": cycle_id, "s": f"{name_prefix}%"}).scalar_one())


def hourly_wh(validated_uri: str) -> dict[str, dict[datetime, int]]:
    table = pq.read_table(io.BytesIO(read_uri_bytes(validated_uri)), columns=["meter_id", "interval_start_utc",
                                                                            "energy_wh"])
    sums: dict[str, dict[datetime, int]] = {}
    for meter_id, start, energy_wh in zip(*(table.column(n).to_pylist() for n in table.column_names), strict=True):
        hour = start.replace(minute=0, second=0, microsecond=0)
        sums.setdefault(meter_id, {})[hour] = sums.get(meter_id, {}).get(hour, 0) + energy_wh
    return sums


class FifoPool:
    """The test's own FIFO pool: [Wh, exact grams] lots; `draw` returns the grams and the number of pieces."""

    def __init__(self) -> None:
        self.lots: list[list[Any]] = [[STORED_WH_START, Decimal(0)]]

    def energy_wh(self) -> int:
        return sum(lot[0] for lot in self.lots)

    def draw(self, energy_wh: int) -> tuple[Decimal, int]:
        grams, pieces = Decimal(0), 0
        while energy_wh:
            lot = self.lots[0]
            piece_wh = min(energy_wh, lot[0])
            piece_g = lot[1] * piece_wh / lot[0]
            grams, pieces, energy_wh = grams + piece_g, pieces + 1, energy_wh - piece_wh
            lot[0], lot[1] = lot[0] - piece_wh, lot[1] - piece_g
            if not lot[0]:
                self.lots.pop(0)
        return grams, pieces


def worked_battery_grams(sums: dict[str, dict[datetime, int]], roles: dict[str, tuple[str, str | None]],
                         rate_g_per_wh: Decimal) -> tuple[dict[str, Decimal], dict[str, int]]:
    """Per tenant, the exact location-based grid grams it received from bess1 (taken and losses), and the lot pieces
    it drew."""
    def of(role: str, hour: datetime) -> dict[str, int]:
        by: dict[str, int] = {}
        for meter_id, (meter_role, tenant) in roles.items():
            if meter_role == role:
                key = tenant or meter_id
                by[key] = by.get(key, 0) + sums.get(meter_id, {}).get(hour, 0)
        return by

    pool, received, pieces = FifoPool(), dict.fromkeys(TENANTS, Decimal(0)), dict.fromkeys(TENANTS, 0)
    charge_total = discharge_total = 0
    for hour in sorted(set(sums["BESS1-CHG"]) | set(sums["BESS1-DIS"])):
        charge, discharge = sums["BESS1-CHG"].get(hour, 0), sums["BESS1-DIS"].get(hour, 0)
        charge_total, discharge_total = charge_total + charge, discharge_total + discharge
        load = of(MeterRole.TENANT, hour) | {"shared": sum(of(MeterRole.SHARED, hour).values())}
        if charge:
            grid = sum(of(MeterRole.GRID_IMPORT, hour).values())
            supply = {f"generation:{m}": wh for m, wh in of(MeterRole.GENERATION, hour).items()} | {"grid_import": grid}
            sources = sorted(source for source, wh in supply.items() if wh > 0)
            shares = dict(zip(sources, allocate_largest_remainder(charge, [supply[s] for s in sources]), strict=True))
            battery_g = grid * rate_g_per_wh * charge / (sum(load.values()) + charge)
            pool.lots += [[shares[s], battery_g if s == "grid_import" else Decimal(0)] for s in sources if shares[s]]
        if discharge:
            parties = sorted(party for party, wh in load.items() if wh > 0)
            for party, share in zip(parties, allocate_largest_remainder(discharge, [load[p] for p in parties]),
                                    strict=True):
                grams, drawn = pool.draw(share)
                if party in received:
                    received[party] += grams
                    pieces[party] += drawn
    estimate = STORED_WH_START + int((Decimal(charge_total) * Decimal("0.870")).to_integral_value()) - discharge_total
    stored_end = min(max(estimate, 400_000), 8_000_000, pool.energy_wh())
    losses = pool.energy_wh() - stored_end
    for tenant, share in zip(TENANTS, allocate_largest_remainder(losses, [LOSSES_KEY[t] for t in TENANTS]),
                             strict=True):
        grams, drawn = pool.draw(share)
        received[tenant] += grams
        pieces[tenant] += drawn
    return received, pieces


async def test_the_demo_battery_carries_its_charging_grams_to_the_tenants(
        api: tuple[httpx.AsyncClient, Settings, Client], engine: Engine) -> None:
    http, settings, _ = api
    october = await settled_cycle(http, settings, "2026-10", 2026, 10)
    result = CycleEmissions.from_json(json.dumps(step(engine, october, "settle")["emissions"]))
    validated_uri = step(engine, october, "validate")["validated_uri"]
    with engine.connect() as conn:
        meters = load_meters(conn, CAMPUS_ID)
        esg = load_campus_emission_settings(conn, CAMPUS_ID, "NYUP", result.period_start_utc, result.period_end_utc)
        pool_lots = conn.execute(text("SELECT energy_wh, lots_json FROM storage_pool WHERE cycle_id = :c"),
                                 {"c": october}).one()
    roles = {m.meter_id: (str(m.role), m.tenant_id) for m in meters}
    edition = load_factor_library().edition(result.factor_edition)
    grid, gwp = edition.grid_factor("NYUP"), edition.gwp_set(result.gwp_set)
    rate_g_per_wh = (grid.co2_lb_per_mwh + gwp.ch4 * grid.ch4_lb_per_mwh + gwp.n2o * grid.n2o_lb_per_mwh) * G_PER_LB \
        / 1_000_000
    sums = hourly_wh(validated_uri)

    # Campus figures are those of the same cycle without the carried view, and the location-based one is the
    # period's grid import at the NYUP rate, rounded once.
    plain = compute_cycle_emissions(validated_uri, [MeterRef(m.meter_id, str(m.role), m.tenant_id) for m in meters],
                                    "NYUP", result.period_start_utc, result.period_end_utc, result.factor_edition,
                                    options=replace(esg.options, storage_assets=()))
    grid_wh = sum(wh for m, (role, _) in roles.items() if role == MeterRole.GRID_IMPORT for wh in sums[m].values())
    assert result.campus_scope2_location_g_co2e == round(grid_wh * rate_g_per_wh) == plain.campus_scope2_location_g_co2e
    for figure in ("campus_scope1_g_co2e", "campus_scope2_market_g_co2e", "campus_scope2_market_hourly_g_co2e",
                   "campus_scope3_cat3_g_co2e"):
        assert getattr(result, figure) == getattr(plain, figure), figure
    parties = [*result.tenant_g_co2e.values(), *result.retained_g_co2e.values()]
    assert sum(p[FIGURE] for p in parties) == result.campus_scope2_location_g_co2e

    # Each tenant's grams from the battery, against the figures worked out above.
    bess = result.storage["bess1"]
    expected, pieces = worked_battery_grams(sums, roles, rate_g_per_wh)
    assert {t: round(g, 2) for t, g in expected.items()} == {
        "acme-ai": Decimal("604487.16"), "borealis-labs": Decimal("363533.35"), "cirrus-cloud": Decimal("298451.54")}
    for tenant in TENANTS:
        party = f"tenant:{tenant}"
        received = bess["taken"][party][FIGURE] + bess["losses"][party][FIGURE]
        assert abs(received - expected[tenant]) <= 2, (tenant, received, expected[tenant], pieces[tenant])
        assert received > 0
    # Charged = taken + losses + still stored, to the gram; the battery keeps what it still stores.
    handed = sum(f[FIGURE] for part in ("taken", "losses") for f in bess[part].values())
    assert bess["opening"][FIGURE] == 0 and bess["charged"][FIGURE] == handed + bess["closing"][FIGURE]
    assert result.retained_g_co2e["storage.bess1"][FIGURE] == bess["closing"][FIGURE] > 0
    # The pool kept with the settlement holds those grams beside the cost.
    assert pool_lots[0] == bess["closing"]["energy_wh"] == 4_714_261
    assert sum(lot["amounts"].get("co2e_g_scope2_location", 0) for lot in pool_lots[1]) == bess["closing"][FIGURE]
    assert all("cost_usd_micros" in lot["amounts"] for lot in pool_lots[1])

    # November opens from October's pool and hands its grams on.
    november = await settled_cycle(http, settings, "2026-11", 2026, 11)
    next_result = CycleEmissions.from_json(json.dumps(step(engine, november, "settle")["emissions"]))
    assert next_result.storage["bess1"]["opening"] == bess["closing"]

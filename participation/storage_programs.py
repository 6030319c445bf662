"""The campus's batteries in the shadow run (docs/storage.md, "Markets"): three programs per period, summed over
the batteries, each what the batteries alone would have earned or avoided in that use (`participation.storage`):

- `storage_arbitrage`: charge and discharge against the node's real-time prices (priced intervals only);
- `storage_peak_shaving`: the site's grid demand held down, at the `[market]` section's `demand_rate_usd_per_kw`;
- `storage_coincident_peak`: discharge in each system peak interval, at the transmission rate.

They are alternative uses of the same energy and power, so only the most valuable counts toward the period's net
and the memo ledger entry; the others are listed, marked not counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from campus import StorageAsset
from participation.shadow import MarketRules, MeteredPeriod, ProgramResult, ShadowResult
from participation.storage import (
    StorageResource,
    arbitrage_period,
    coincident_peak_avoided_usd_micros,
    peak_shaving,
)

STORAGE_PROGRAMS = ("storage_arbitrage", "storage_peak_shaving", "storage_coincident_peak")


def storage_resource(asset: StorageAsset, cycles_per_day_max: int = 1) -> StorageResource:
    """The asset as the market sees it: the middle of its efficiency range, its floor, and the backup energy its
    storage services reserve (never offered: R-RESERVE)."""
    return StorageResource(
        asset.asset_id, asset.capacity_wh_usable, asset.power_kw_rated,
        (asset.round_trip_efficiency_permille_min + asset.round_trip_efficiency_permille_max) // 2,
        stored_wh_floor=asset.state_of_charge_wh_min,
        reserved_wh=sum(service.reserved_wh for service in asset.services), cycles_per_day_max=cycles_per_day_max)


def storage_programs(metered: MeteredPeriod, prices_usd_per_mwh: Mapping[datetime, Decimal], rules: MarketRules,
                     resources: Sequence[StorageResource]) -> tuple[ProgramResult, ...]:
    """The three storage programs (none without batteries), the most valuable one counted."""
    if not resources:
        return ()
    priced = [(start, prices_usd_per_mwh[start]) for start in metered.starts_utc if start in prices_usd_per_mwh]
    where = {start: index for index, start in enumerate(metered.starts_utc)}
    at_peaks = [metered.grid_import_wh[where[start]] for start in rules.coincident_peak_starts_utc if start in where]
    arbitrage_usd_micros = energy_wh = 0
    shaving_usd_micros = peak_usd_micros = 0
    for resource in resources:
        arbitrage = arbitrage_period(resource, metered.interval, [start for start, _ in priced],
                                     [price for _, price in priced], metered.time_zone)
        arbitrage_usd_micros += arbitrage.value_usd_micros
        energy_wh += arbitrage.discharge_wh
        shaving_usd_micros += peak_shaving(resource, metered.interval, metered.grid_import_wh,
                                           rules.demand_rate_usd_per_kw).avoided_usd_micros
        peak_usd_micros += coincident_peak_avoided_usd_micros(resource, metered.interval, at_peaks,
                                                              rules.coincident_peak_count,
                                                              rules.transmission_rate_usd_per_kw_year)
    programs = [ProgramResult("storage_arbitrage", revenue_usd_micros=arbitrage_usd_micros, energy_wh=energy_wh),
                ProgramResult("storage_peak_shaving", avoided_cost_usd_micros=shaving_usd_micros),
                ProgramResult("storage_coincident_peak", avoided_cost_usd_micros=peak_usd_micros)]
    best = max(range(len(programs)), key=lambda index: (programs[index].net_usd_micros, -index))
    return tuple(program if index == best else ProgramResult(
        program.program, program.revenue_usd_micros, program.avoided_cost_usd_micros, program.cost_usd_micros,
        program.energy_wh, program.emissions_g, counted=False) for index, program in enumerate(programs))


def with_storage(result: ShadowResult, metered: MeteredPeriod, prices_usd_per_mwh: Mapping[datetime, Decimal],
                 rules: MarketRules, resources: Sequence[StorageResource]) -> ShadowResult:
    """`result` with the batteries' programs after the others."""
    programs = storage_programs(metered, prices_usd_per_mwh, rules, resources)
    return replace(result, programs=result.programs + programs) if programs else result

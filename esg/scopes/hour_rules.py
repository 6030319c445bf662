"""The per-hour rules: Scope 1, location-based Scope 2, Scope 3 cat. 3 and energy shares, split among parties.

Each hour adds exact Decimal amounts to an `Accumulator`; nothing is rounded here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import numpy as np

from esg.errors import FactorMissing
from esg.factors import G_PER_LB, WH_PER_MMBTU, WH_PER_MWH, GasMassesG, co2e_g, gas_masses_g
from esg.scopes.allocation import (
    EXPORT,
    RESOLD,
    STORAGE_PREFIX,
    split_by_consumption,
    split_onsite,
)
from esg.scopes.campus_hours import CampusHour
from esg.scopes.cycle_context import CycleContext
from esg.scopes.party_amounts import PartyHours, PartySplit, PartySums
from esg.scopes.scope2_market import choose_fallback_rate


@dataclass
class Accumulator:
    """Exact Decimal sums gathered hour by hour; rounded once in `assemble_result`. `parties` are the campus's
    consuming parties, in the order of every hour's `consumer_wh`."""

    parties: tuple[str, ...]
    shares: dict[str, PartySums] = field(default_factory=dict)
    campus_exact: dict[str, Decimal] = field(default_factory=dict)
    gases: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    hourly_exact: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    grid_wh: PartyHours = field(init=False)
    onsite_wh: PartyHours = field(init=False)
    onsite_carbon_free_wh: PartyHours = field(init=False)
    fuel_heat_input_wh: Decimal = Decimal(0)
    tenant_mask: np.ndarray = field(init=False)
    # The hour being added, and each charging battery's exact part per component and hour: the grams its charge
    # took, which its pool carries to whoever takes the energy (esg.scopes.storage_carry).
    hour: datetime | None = None
    storage_hourly: dict[str, dict[str, dict[datetime, Decimal]]] = field(default_factory=dict)
    storage_indices: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.grid_wh = PartyHours(self.parties)
        self.onsite_wh = PartyHours(self.parties)
        self.onsite_carbon_free_wh = PartyHours(self.parties)
        self.tenant_mask = np.array([party.startswith("tenant:") for party in self.parties], dtype=bool)
        self.storage_indices = [index for index, party in enumerate(self.parties) if party.startswith(STORAGE_PREFIX)]

    def add(self, component: str, total: Decimal, parts: Mapping[str, Decimal]) -> None:
        self.campus_exact[component] = self.campus_exact.get(component, Decimal(0)) + total
        self._sums(component).add_mapping(parts)

    def add_split(self, component: str, total: Decimal, split: PartySplit) -> None:
        self.campus_exact[component] = self.campus_exact.get(component, Decimal(0)) + total
        self._sums(component).add_split(split)
        if self.hour is not None:
            for index in self.storage_indices:
                if split.has_part[index]:
                    by_hour = self.storage_hourly.setdefault(self.parties[index], {}).setdefault(component, {})
                    by_hour[self.hour] = split.parts[index]

    def share_dict(self, component: str) -> dict[str, Decimal]:
        """Exact share per party of `component` (parties that took a part in some hour)."""
        sums = self.shares.get(component)
        return sums.as_dict(self.parties) if sums is not None else {}

    def _sums(self, component: str) -> PartySums:
        if component not in self.shares:
            self.shares[component] = PartySums.empty(len(self.parties))
        return self.shares[component]

    def add_gases(self, figure: str, masses: GasMassesG) -> None:
        gases = self.gases.setdefault(figure, {})
        for gas, mass in (
            ("CO2", masses.co2_g),
            ("CH4", masses.ch4_g),
            ("N2O", masses.n2o_g),
            ("biogenic_CO2", masses.biogenic_co2_g),
        ):
            gases[gas] = gases.get(gas, Decimal(0)) + mass

    def add_hourly(self, figure: str, hour: datetime, amount: Decimal) -> None:
        self.hourly_exact.setdefault(figure, {})[hour.isoformat()] = amount


def add_hour(totals: Accumulator, context: CycleContext, campus_hour: CampusHour) -> None:
    hour = campus_hour.hour_start_utc
    totals.hour = hour
    consumers = campus_hour.consumer_wh
    fuel_mmbtu = context.fuel_mmbtu(campus_hour)
    scope1 = _scope1_masses(context, fuel_mmbtu)
    totals.add_gases("scope1", scope1)
    scope1_g = co2e_g(scope1, context.gwp_ch4, context.gwp_n2o)

    def onsite(amount: Decimal) -> PartySplit:
        return split_onsite(amount, campus_hour.generation_wh, campus_hour.export_wh, consumers)

    totals.add_split("scope1", scope1_g, onsite(scope1_g))
    totals.add_hourly("scope1", hour, scope1_g)
    grid_g = _scope2_location_g(totals, context, campus_hour)
    grid_split = split_by_consumption(grid_g, consumers)
    totals.add_split("scope2_location", grid_g, grid_split)
    totals.add_hourly("scope2_location", hour, grid_g)
    fuel_wtt_g = sum(
        (
            mmbtu * WH_PER_MMBTU * context.fuel_wtt_g_per_wh[meter_id]
            for meter_id, mmbtu in fuel_mmbtu.items()
            if meter_id in context.fuel_wtt_g_per_wh
        ),
        Decimal(0),
    )
    totals.fuel_heat_input_wh += sum(fuel_mmbtu.values(), Decimal(0)) * WH_PER_MMBTU
    totals.add_split("scope3_a", fuel_wtt_g, onsite(fuel_wtt_g))
    grid_wh = Decimal(campus_hour.grid_import_wh)
    upstream_g = grid_wh * context.upstream_electricity_g_per_wh
    totals.add_split("scope3_b", upstream_g, split_by_consumption(upstream_g, consumers))
    losses_g = _td_losses_g(context, campus_hour, grid_g)
    totals.add_split("scope3_c", losses_g, split_by_consumption(losses_g, consumers))
    if context.options.scope3.operator_resells_grid_power:
        # Activity D: grid power resold to tenants, at its generation rate; the operator's figure alone.
        resold_parts = grid_split.parts[totals.tenant_mask & grid_split.has_part]
        resold_g = sum(resold_parts.tolist(), Decimal(0))
        totals.add("scope3_d", resold_g, {RESOLD: resold_g} if resold_g else {})
    _add_energy_shares(totals, campus_hour)


def _scope1_masses(context: CycleContext, fuel_mmbtu: dict[str, Decimal]) -> GasMassesG:
    masses = [gas_masses_g(mmbtu, context.fuel_factors[meter_id]) for meter_id, mmbtu in fuel_mmbtu.items()]
    return GasMassesG(
        sum((m.co2_g for m in masses), Decimal(0)),
        sum((m.ch4_g for m in masses), Decimal(0)),
        sum((m.n2o_g for m in masses), Decimal(0)),
        sum((m.biogenic_co2_g for m in masses), Decimal(0)),
    )


def _scope2_location_g(totals: Accumulator, context: CycleContext, campus_hour: CampusHour) -> Decimal:
    grid_mwh = Decimal(campus_hour.grid_import_wh) / WH_PER_MWH
    intensity = context.options.grid_intensity
    if intensity is not None:
        rate = intensity.g_co2e_per_mwh.get(campus_hour.hour_start_utc)
        if rate is None:
            if campus_hour.grid_import_wh == 0:
                return Decimal(0)
            raise FactorMissing(intensity.source_ref, campus_hour.hour_start_utc.isoformat())
        return grid_mwh * rate
    grid = context.grid
    masses = GasMassesG(
        grid_mwh * grid.co2_lb_per_mwh * G_PER_LB,
        grid_mwh * grid.ch4_lb_per_mwh * G_PER_LB,
        grid_mwh * grid.n2o_lb_per_mwh * G_PER_LB,
    )
    totals.add_gases("scope2_location", masses)
    return co2e_g(masses, context.gwp_ch4, context.gwp_n2o)


def _td_losses_g(context: CycleContext, campus_hour: CampusHour, grid_location_g: Decimal) -> Decimal:
    if context.loss_ratio is None:
        return Decimal(0)
    if context.options.scope3.td_loss_factor_basis == "location":
        return grid_location_g * context.loss_ratio
    fallback = choose_fallback_rate(
        context.options.market_rates, context.zone, context.grid_average_g_per_mwh(), context.grid.ref
    )
    return Decimal(campus_hour.grid_import_wh) / WH_PER_MWH * fallback.g_co2e_per_mwh * context.loss_ratio


def _add_energy_shares(totals: Accumulator, campus_hour: CampusHour) -> None:
    hour = campus_hour.hour_start_utc
    consumers = campus_hour.consumer_wh
    generation = campus_hour.generation_wh
    totals.grid_wh.append(hour, split_by_consumption(Decimal(campus_hour.grid_import_wh), consumers))
    for target, source_wh in (
        (totals.onsite_wh, generation),
        (totals.onsite_carbon_free_wh, campus_hour.carbon_free_generation_wh),
    ):
        split = split_onsite(Decimal(source_wh), generation, campus_hour.export_wh, consumers)
        split.others.pop(EXPORT, None)
        target.append(hour, split)

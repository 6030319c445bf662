"""Emissions of one billing cycle: Scope 1, location- and market-based Scope 2, Scope 3 category 3, per tenant.

Rules (GHG Protocol Corporate Standard and Scope 2 Guidance, as summarised in docs/esg.md):
- Scope 1 is the operator's fuel burnt on site, all of it, exports included (reported, never netted).
- Each hour, the emissions of on-site generation are split: the exported share stays with the operator, the
  rest goes to consumers by metered Wh; grid emissions go to consumers by metered Wh. A tenant's Scope 2 is its
  share of the operator's Scope 1 (direct line, same in both methods) plus its grid share.
- Per-gas masses are kept; CO2e uses the GWP set named in the options (AR5 by default).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, localcontext

from common.timeutil import require_utc
from esg.allocation import (
    EXPORT,
    RESOLD,
    add_into,
    split_by_consumption,
    split_onsite,
    tenant_party,
)
from esg.campus_hours import CampusHour, build_campus_hours, validate_meters
from esg.certificates import CertificateClaim, CertificateLot
from esg.combustion import EffectiveFactor, FactorOverride, GasMassesG, co2e_g, effective_factor, gas_masses_g
from esg.cycle_result import assemble_result
from esg.errors import EmissionsInputInvalid, FactorMissing
from esg.factors import FactorEdition, FactorLibrary, GridFactor, load_factor_library
from esg.intervals import HourlyEnergy, MeterRef, read_hourly_energy
from esg.market import MarketRate, choose_fallback_rate, market_scope2
from esg.result import CycleEmissions
from esg.scope3 import Scope3Conventions, td_loss_ratio, upstream_electricity_g_per_wh, wtt_factor
from esg.shared_services import (
    CATEGORIES,
    SharedServiceSource,
    SharedServicesOutcome,
    shared_services_emissions,
)
from esg.units import G_PER_LB, WH_PER_MMBTU, WH_PER_MWH

DEFAULT_FUEL = "natural-gas"
DECIMAL_PRECISION = 60  # far beyond the microgram weights; only the final half-even rounding loses digits


@dataclass(frozen=True)
class HourlyGridIntensity:
    """An hourly location-based grid rate (direct/combustion basis, average not marginal), g CO2e per MWh."""

    zone: str
    source_ref: str
    g_co2e_per_mwh: Mapping[datetime, Decimal]
    estimated_hours: frozenset[datetime] = frozenset()
    carbon_free_fraction: Mapping[datetime, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class EmissionOptions:
    """Everything beyond the first-deliverable arguments; the defaults give the plain metered calculation."""

    gwp_set: str = "AR5"
    fuel_type_by_meter: Mapping[str, str] = field(default_factory=dict)
    overrides: Sequence[FactorOverride] = ()
    heat_rate_mmbtu_per_mwh_by_meter: Mapping[str, Decimal] = field(default_factory=dict)
    # Fuel meters whose Wh thermal was converted from scf at the edition's default heat content; a
    # `supplier_heating_value` override on them rescales the heat input by supplier / default.
    volume_metered_fuel_meter_ids: frozenset[str] = frozenset()
    carbon_free_generation_meter_ids: frozenset[str] = frozenset()
    grid_intensity: HourlyGridIntensity | None = None
    claims: Sequence[tuple[CertificateLot, CertificateClaim]] = ()
    market_rates: Sequence[MarketRate] = ()
    # Registry zone names that deliver to the campus's market (e.g. "ERCOT" for ERCT), declared, never guessed.
    deliverable_zones: frozenset[str] = frozenset()
    scope3: Scope3Conventions = field(default_factory=Scope3Conventions)
    shared_services: Sequence[SharedServiceSource] = ()


def compute_cycle_emissions(
    intervals_uri: str,
    meters: Sequence[MeterRef],
    campus_egrid_subregion: str,
    period_start_utc: datetime,
    period_end_utc: datetime,
    factor_edition: str | None = None,
    *,
    options: EmissionOptions | None = None,
    library: FactorLibrary | None = None,
) -> CycleEmissions:
    """Read the interval Parquet and compute the cycle's emissions (pure apart from reading that file).

    `factor_edition` None picks the library edition valid at the period's midpoint (its reporting year).
    """
    period_start_utc = require_utc(period_start_utc, "period_start_utc")
    period_end_utc = require_utc(period_end_utc, "period_end_utc")
    if period_end_utc <= period_start_utc:
        raise EmissionsInputInvalid("period", None, "period_end_utc", "the period is empty")
    library = library or load_factor_library()
    # The period's midpoint names its reporting year whatever the campus's time zone: a local January that
    # starts on 31 December UTC still belongs to the new year's edition.
    midpoint_utc = period_start_utc + (period_end_utc - period_start_utc) / 2
    edition = library.edition(factor_edition) if factor_edition else library.edition_for(midpoint_utc)
    meter_ids = frozenset(meter.meter_id for meter in meters)
    hourly = read_hourly_energy(intervals_uri, meter_ids, period_start_utc, period_end_utc)
    return emissions_from_hourly(
        hourly,
        meters,
        campus_egrid_subregion,
        (period_start_utc, period_end_utc),
        edition,
        options or EmissionOptions(),
        library,
    )


@dataclass
class Accumulator:
    """Exact Decimal sums gathered hour by hour; rounded once in `assemble_result`."""

    shares: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    campus_exact: dict[str, Decimal] = field(default_factory=dict)
    gases: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    hourly_exact: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    grid_wh: dict[str, dict[datetime, Decimal]] = field(default_factory=dict)
    onsite_wh: dict[str, dict[datetime, Decimal]] = field(default_factory=dict)
    onsite_carbon_free_wh: dict[str, dict[datetime, Decimal]] = field(default_factory=dict)
    fuel_heat_input_wh: Decimal = Decimal(0)

    def add(self, component: str, total: Decimal, parts: Mapping[str, Decimal]) -> None:
        self.campus_exact[component] = self.campus_exact.get(component, Decimal(0)) + total
        add_into(self.shares.setdefault(component, {}), parts)

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


@dataclass(frozen=True)
class CycleContext:
    """What every hour needs: factors per fuel meter, the grid factor, GWPs and switches."""

    edition: FactorEdition
    options: EmissionOptions
    zone: str
    grid: GridFactor
    gwp_ch4: Decimal
    gwp_n2o: Decimal
    fuel_factors: dict[str, EffectiveFactor]
    fuel_wtt_g_per_wh: dict[str, Decimal]
    upstream_electricity_g_per_wh: Decimal
    loss_ratio: Decimal | None
    heat_input_scale: dict[str, Decimal] = field(default_factory=dict)
    heat_input_refs: tuple[str, ...] = ()

    def fuel_mmbtu(self, campus_hour: CampusHour) -> dict[str, Decimal]:
        """Heat input per fuel meter, with supplier heating values applied where declared."""
        return {
            meter_id: mmbtu * self.heat_input_scale.get(meter_id, Decimal(1))
            for meter_id, mmbtu in campus_hour.fuel_mmbtu_by_meter.items()
        }

    def grid_average_g_per_mwh(self) -> Decimal:
        lb_per_mwh = (
            self.grid.co2_lb_per_mwh
            + self.gwp_ch4 * self.grid.ch4_lb_per_mwh
            + self.gwp_n2o * self.grid.n2o_lb_per_mwh
        )
        return lb_per_mwh * G_PER_LB


def emissions_from_hourly(
    hourly: HourlyEnergy,
    meters: Sequence[MeterRef],
    campus_egrid_subregion: str,
    period: tuple[datetime, datetime],
    edition: FactorEdition,
    options: EmissionOptions,
    library: FactorLibrary | None = None,
) -> CycleEmissions:
    """The pure calculation over hourly meter energy; see the module docstring for the rules."""
    validate_meters(
        meters, options.heat_rate_mmbtu_per_mwh_by_meter, options.carbon_free_generation_meter_ids
    )
    with localcontext() as decimal_context:
        decimal_context.prec = DECIMAL_PRECISION
        context = _context(edition, options, meters, campus_egrid_subregion, period[0])
        campus_hours = build_campus_hours(
            hourly, meters, options.heat_rate_mmbtu_per_mwh_by_meter, options.carbon_free_generation_meter_ids
        )
        totals = Accumulator()
        for campus_hour in campus_hours:
            _add_hour(totals, context, campus_hour)
        fallback = choose_fallback_rate(
            options.market_rates, campus_egrid_subregion, context.grid_average_g_per_mwh(), context.grid.ref
        )
        market = market_scope2(
            totals.grid_wh,
            options.claims,
            campus_egrid_subregion,
            period,
            fallback,
            options.deliverable_zones,
        )
        totals.add("scope2_market", sum(market.grid_market_g.values(), Decimal(0)), market.grid_market_g)
        totals.add(
            "scope2_market_hourly",
            sum(market.grid_market_hourly_g.values(), Decimal(0)),
            market.grid_market_hourly_g,
        )
        shared = shared_services_emissions(
            options.shared_services, library or load_factor_library(), edition, options.gwp_set
        )
        _add_shared_services(totals, shared)
        tenant_ids = sorted({str(meter.tenant_id) for meter in meters if meter.tenant_id is not None})
        return assemble_result(
            hourly, meters, campus_hours, context, totals, market, fallback, shared, tenant_ids, period
        )


def _add_shared_services(totals: Accumulator, shared: SharedServicesOutcome) -> None:
    for category in CATEGORIES:
        totals.add(
            f"shared_{category}",
            shared.total_by_category.get(category, Decimal(0)),
            shared.shares_by_category.get(category, {}),
        )
    if shared.gases_g:
        totals.gases["scope1_shared_services"] = dict(shared.gases_g)


def _context(
    edition: FactorEdition,
    options: EmissionOptions,
    meters: Sequence[MeterRef],
    zone: str,
    period_start_utc: datetime,
) -> CycleContext:
    gwp = edition.gwp_set(options.gwp_set)
    grid = edition.grid_factor(zone)
    fuel_meter_ids = [meter.meter_id for meter in meters if meter.role == "fuel"]
    fuel_meter_ids += list(options.heat_rate_mmbtu_per_mwh_by_meter)
    fuel_factors: dict[str, EffectiveFactor] = {}
    fuel_wtt: dict[str, Decimal] = {}
    day = period_start_utc.date()
    for meter_id in fuel_meter_ids:
        slug = options.fuel_type_by_meter.get(meter_id, DEFAULT_FUEL)
        overrides = [o for o in options.overrides if o.meter_id == meter_id and o.covers(day)]
        fuel_factors[meter_id] = effective_factor(edition.combustion_factor(slug), overrides)
        wtt = wtt_factor(edition, slug)
        if wtt is not None:
            fuel_wtt[meter_id] = wtt.kg_co2e_per_unit  # kg CO2e per kWh gross CV = g per Wh HHV
    if options.grid_intensity is not None and options.grid_intensity.zone != zone:
        raise EmissionsInputInvalid(
            "grid intensity", None, "zone", f"{options.grid_intensity.zone} is not {zone}"
        )
    upstream_g_per_wh, _ = upstream_electricity_g_per_wh(edition, options.scope3)
    loss = grid.grid_gross_loss_fraction
    loss_ratio = td_loss_ratio(loss, options.scope3) if loss is not None else None
    scale, scale_refs = supplier_heat_content_scale(edition, options, fuel_meter_ids, day)
    return CycleContext(
        edition,
        options,
        zone,
        grid,
        gwp.ch4,
        gwp.n2o,
        fuel_factors,
        fuel_wtt,
        upstream_g_per_wh,
        loss_ratio,
        scale,
        scale_refs,
    )


def supplier_heat_content_scale(
    edition: FactorEdition, options: EmissionOptions, fuel_meter_ids: list[str], day: date
) -> tuple[dict[str, Decimal], tuple[str, ...]]:
    """supplier heat content / default heat content per volume-metered fuel meter (40 CFR 98 Tier 2 style)."""
    scale: dict[str, Decimal] = {}
    refs: list[str] = []
    for override in options.overrides:
        if override.parameter != "heat_content_mmbtu_per_scf" or not override.covers(day):
            continue
        if (
            override.meter_id not in options.volume_metered_fuel_meter_ids
            or override.meter_id not in fuel_meter_ids
        ):
            raise EmissionsInputInvalid(
                f"override {override.override_id}",
                None,
                "meter_id",
                f"{override.meter_id} is not a volume-metered fuel meter, so its heat input is already measured",
            )
        published = edition.combustion_factor(options.fuel_type_by_meter.get(override.meter_id, DEFAULT_FUEL))
        if published.heat_content_hhv is None or published.heat_content_unit != "mmBtu per scf":
            raise EmissionsInputInvalid(
                f"override {override.override_id}", None, "parameter", "fuel has no per-scf heat content"
            )
        scale[override.meter_id] = override.value / published.heat_content_hhv
        refs += [
            f"{published.ref}/heat_content",
            f"override/{override.override_id}/{override.kind}/{override.parameter}",
        ]
    return scale, tuple(refs)


def _add_hour(totals: Accumulator, context: CycleContext, campus_hour: CampusHour) -> None:
    hour = campus_hour.hour_start_utc
    consumers = campus_hour.consumer_wh
    fuel_mmbtu = context.fuel_mmbtu(campus_hour)
    scope1 = _scope1_masses(context, fuel_mmbtu)
    totals.add_gases("scope1", scope1)
    scope1_g = co2e_g(scope1, context.gwp_ch4, context.gwp_n2o)

    def onsite(amount: Decimal) -> dict[str, Decimal]:
        return split_onsite(amount, campus_hour.generation_wh, campus_hour.export_wh, consumers)

    totals.add("scope1", scope1_g, onsite(scope1_g))
    totals.add_hourly("scope1", hour, scope1_g)
    grid_g = _scope2_location_g(totals, context, campus_hour)
    totals.add("scope2_location", grid_g, split_by_consumption(grid_g, consumers))
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
    totals.add("scope3_a", fuel_wtt_g, onsite(fuel_wtt_g))
    grid_wh = Decimal(campus_hour.grid_import_wh)
    upstream_g = grid_wh * context.upstream_electricity_g_per_wh
    totals.add("scope3_b", upstream_g, split_by_consumption(upstream_g, consumers))
    losses_g = _td_losses_g(context, campus_hour, grid_g)
    totals.add("scope3_c", losses_g, split_by_consumption(losses_g, consumers))
    if context.options.scope3.operator_resells_grid_power:
        # Activity D: grid power resold to tenants, at its generation rate; the operator's figure alone.
        resold_g = sum(
            (
                amount
                for party, amount in split_by_consumption(grid_g, consumers).items()
                if party.startswith("tenant:")
            ),
            Decimal(0),
        )
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
    for party, wh in split_by_consumption(Decimal(campus_hour.grid_import_wh), consumers).items():
        totals.grid_wh.setdefault(party, {})[hour] = wh
    for target, source_wh in (
        (totals.onsite_wh, generation),
        (totals.onsite_carbon_free_wh, campus_hour.carbon_free_generation_wh),
    ):
        for party, wh in split_onsite(
            Decimal(source_wh), generation, campus_hour.export_wh, consumers
        ).items():
            if party != EXPORT:
                target.setdefault(party, {})[hour] = wh


__all__ = [
    "EmissionOptions",
    "HourlyGridIntensity",
    "compute_cycle_emissions",
    "emissions_from_hourly",
    "tenant_party",
]

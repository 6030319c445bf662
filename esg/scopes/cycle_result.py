"""Turn the exact hourly sums of a cycle into the integer-gram `CycleEmissions` (one rounding per figure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np

from esg.scopes.allocation import SHARED, allocate_grams, grams_half_even, tenant_party
from esg.scopes.campus_hours import CampusHour
from esg.scopes.cfe import CarbonFreeHours, carbon_free_hours, cfe_score_text, cfe_wh_by_party
from esg.scopes.cycle_context import CycleContext
from esg.scopes.cycle_emissions import CycleEmissions, HourFigure, worst_quality
from esg.scopes.hour_rules import Accumulator
from esg.scopes.hourly_energy import HourlyEnergy, MeterRef
from esg.scopes.scope2_market import FallbackRate, MarketOutcome
from esg.scopes.scope3 import WTT_ROW_BY_FUEL, upstream_electricity_g_per_wh
from esg.scopes.shared_services import SharedServicesOutcome
from esg.scopes.storage_carry import ChargeCarbonFree, carry_storage

SHARED_COMPONENTS = ("shared_cat1_purchased_services", "shared_cat8_upstream_leased_assets")
COMPONENTS = (
    "scope1",
    "scope2_location",
    "scope2_market",
    "scope2_market_hourly",
    "scope3_a",
    "scope3_b",
    "scope3_c",
    "scope3_d",
    *SHARED_COMPONENTS,
)
SCOPE3_NAMES = {
    "scope3_a": "a_upstream_fuels",
    "scope3_b": "b_upstream_electricity",
    "scope3_c": "c_td_losses",
    "scope3_d": "d_resold_electricity",
}


def assemble_result(
    hourly: HourlyEnergy,
    meters: Sequence[MeterRef],
    campus_hours: list[CampusHour],
    context: CycleContext,
    totals: Accumulator,
    market: MarketOutcome,
    fallback: FallbackRate,
    shared: SharedServicesOutcome,
    tenant_ids: list[str],
    period: tuple[datetime, datetime],
) -> CycleEmissions:
    campus_g: dict[str, int] = {}
    parts_g: dict[str, dict[str, int]] = {}
    for component in COMPONENTS:
        campus_g[component] = grams_half_even(totals.campus_exact.get(component, Decimal(0)))
        parts_g[component] = allocate_grams(campus_g[component], totals.share_dict(component))
    carbon_free = _carbon_free_hours(campus_hours, totals, market, context)
    carbon_free_sources = frozenset(f"generation:{meter_id}"
                                    for meter_id in context.options.carbon_free_generation_meter_ids)
    carried = carry_storage(parts_g, totals, market, fallback, hourly, meters, context.options.storage_assets,
                            context.options.storage_openings, context.options.storage_stored_wh_end,
                            ChargeCarbonFree(carbon_free, carbon_free_sources))
    parties = sorted({tenant_party(t) for t in tenant_ids} | {p for parts in parts_g.values() for p in parts})
    by_party = {party: _party_figures(party, parts_g) for party in parties}
    quality = _data_quality(hourly, meters, context, fallback, tenant_ids, market)
    quality["campus_scope1_shared_services"] = worst_quality(*shared.qualities)
    tenant_energy = _tenant_energy(campus_hours, totals, carbon_free, carried.carbon_free_wh_by_hour, tenant_ids)
    return CycleEmissions(
        period_start_utc=period[0],
        period_end_utc=period[1],
        campus_egrid_subregion=context.zone,
        factor_edition=context.edition.edition_id,
        gwp_set=context.options.gwp_set,
        campus_scope1_g_co2e=campus_g["scope1"],
        campus_scope2_location_g_co2e=campus_g["scope2_location"],
        campus_scope2_market_g_co2e=campus_g["scope2_market"],
        campus_scope2_market_hourly_g_co2e=campus_g["scope2_market_hourly"],
        campus_scope3_cat3_g_co2e=sum(campus_g[c] for c in SCOPE3_NAMES),
        campus_scope1_exported_g_co2e=parts_g["scope1"].get("retained:export", 0),
        campus_biogenic_co2_g=grams_half_even(totals.gases.get("scope1", {}).get("biogenic_CO2", Decimal(0))),
        scope3_cat3_g_co2e={name: campus_g[c] for c, name in SCOPE3_NAMES.items()},
        gases_g={
            figure: {gas: grams_half_even(mass) for gas, mass in gases.items() if gas != "biogenic_CO2"}
            for figure, gases in totals.gases.items()
        },
        energy_wh=_energy(campus_hours, totals),
        tenant_g_co2e={t: by_party[tenant_party(t)] for t in tenant_ids},
        tenant_energy_wh=tenant_energy,
        tenant_cfe_score={
            t: cfe_score_text(Decimal(e["carbon_free_wh"]), e["consumption_wh"])
            for t, e in tenant_energy.items()
        },
        retained_g_co2e={
            p.removeprefix("retained:"): f for p, f in by_party.items() if p.startswith("retained:")
        },
        hourly=_hour_figures(campus_hours, totals, campus_g),
        instruments=market.instrument_rows,
        factor_refs=sorted({*_factor_refs(context, fallback, campus_g, market), *shared.refs}),
        data_quality=quality,
        conventions=_conventions(context),
        exclusions=_exclusions(context),
        disclosures=_disclosures(context, fallback, campus_g, parts_g),
        inputs={
            "intervals_file_sha256": hourly.file_sha256,
            "source_sha256": list(hourly.source_sha256),
            "ignored_meter_ids": list(hourly.ignored_meter_ids),
            "meters": [[m.meter_id, m.role, m.tenant_id or ""] for m in meters],
            "overrides": [o.override_id for o in context.options.overrides],
            "shared_services": [
                [
                    s.source_id,
                    s.kind,
                    s.substance,
                    str(s.quantity),
                    s.unit,
                    s.key_name,
                    s.tenant_scope3_category,
                ]
                for s in context.options.shared_services
            ],
        },
        campus_scope1_shared_services_g_co2e=sum(campus_g[c] for c in SHARED_COMPONENTS),
        co2e_by_gwp_set_g=_co2e_by_gwp_set(context, totals),
        market_methods=_market_methods(market, fallback),
        storage=carried.section,
    )


def _market_methods(market: MarketOutcome, fallback: FallbackRate) -> dict[str, dict[str, Any]]:
    """Per party (`tenant:<id>`, `retained:<why>`): the rate below the instruments, its reference, the Wh of grid
    supply by method under annual and hourly matching (rounded half-even each), and the hourly method as runs."""
    result: dict[str, dict[str, Any]] = {}
    for party, by_matching in sorted(market.method_wh.items()):
        party_fallback = market.fallback_by_party.get(party, fallback)
        result[party] = {
            "fallback_method": party_fallback.kind,
            "fallback_ref": party_fallback.ref,
            "annual_wh": {method: grams_half_even(wh) for method, wh in sorted(by_matching["annual"].items())},
            "hourly_wh": {method: grams_half_even(wh) for method, wh in sorted(by_matching["hourly"].items())},
            "hours": market.method_hours.get(party, []),
        }
    return result


def _co2e_by_gwp_set(context: CycleContext, totals: Accumulator) -> dict[str, dict[str, int]]:
    """Each CO2/CH4/N2O figure under every GWP set, from the exact masses (rounded half-even once each)."""
    result: dict[str, dict[str, int]] = {}
    for figure, gases in sorted(totals.gases.items()):
        if not {"CO2", "CH4", "N2O"} <= set(gases):
            continue
        result[figure] = {
            name: grams_half_even(gases["CO2"] + gwp.ch4 * gases["CH4"] + gwp.n2o * gases["N2O"])
            for name, gwp in sorted(context.edition.gwp.items())
        }
    return result


def _party_figures(party: str, parts_g: dict[str, dict[str, int]]) -> dict[str, int]:
    part = {component: parts_g[component].get(party, 0) for component in COMPONENTS}
    return {
        "scope2_onsite_generation": part["scope1"],
        "scope2_grid_location": part["scope2_location"],
        "scope2_grid_market": part["scope2_market"],
        "scope2_grid_market_hourly": part["scope2_market_hourly"],
        "scope2_location": part["scope1"] + part["scope2_location"],
        "scope2_market": part["scope1"] + part["scope2_market"],
        "scope2_market_hourly": part["scope1"] + part["scope2_market_hourly"],
        "scope3_cat3": sum(part[c] for c in SCOPE3_NAMES),
        "scope3_cat3_upstream_fuels": part["scope3_a"],
        "scope3_cat3_upstream_power": part["scope3_b"],
        "scope3_cat3_td_losses": part["scope3_c"],
        "scope3_cat3_resold_power": part["scope3_d"],
        "scope3_cat1_shared_services": part["shared_cat1_purchased_services"],
        "scope3_cat8_shared_services": part["shared_cat8_upstream_leased_assets"],
    }


def _energy(campus_hours: list[CampusHour], totals: Accumulator) -> dict[str, int]:
    shared = [index for index, party in enumerate(totals.parties) if party == SHARED]
    return {
        "fuel_heat_input_wh_hhv": grams_half_even(totals.fuel_heat_input_wh),
        "generation_wh": sum(h.generation_wh for h in campus_hours),
        "carbon_free_generation_wh": sum(h.carbon_free_generation_wh for h in campus_hours),
        "grid_import_wh": sum(h.grid_import_wh for h in campus_hours),
        "export_wh": sum(h.export_wh for h in campus_hours),
        "tenant_consumption_wh": sum(int(h.consumer_wh.energy_wh[totals.tenant_mask].sum()) for h in campus_hours),
        "shared_consumption_wh": sum(int(h.consumer_wh.energy_wh[shared].sum()) for h in campus_hours),
    }


def _carbon_free_hours(
    campus_hours: list[CampusHour], totals: Accumulator, market: MarketOutcome, context: CycleContext
) -> CarbonFreeHours:
    intensity = context.options.grid_intensity
    grid_cfe_fraction = dict(intensity.carbon_free_fraction) if intensity is not None else {}
    load_wh = [h.consumer_wh.energy_wh_exact for h in campus_hours]
    return carbon_free_hours(
        load_wh, totals.onsite_carbon_free_wh, totals.grid_wh, market.covered_wh_hourly, grid_cfe_fraction
    )


def _tenant_energy(
    campus_hours: list[CampusHour],
    totals: Accumulator,
    carbon_free_by_hour: CarbonFreeHours,
    carried_carbon_free_wh: dict[datetime, dict[str, int]],
    tenant_ids: list[str],
) -> dict[str, dict[str, int]]:
    """Per tenant: its consumption, grid and on-site Wh, and its carbon-free Wh (CFE_h summed, with the carbon-free
    Wh it took from batteries in their discharge hours)."""
    grid_parts = allocate_grams(sum(h.grid_import_wh for h in campus_hours), totals.grid_wh.totals())
    onsite_exact = totals.onsite_wh.totals()
    onsite_parts = allocate_grams(grams_half_even(sum(onsite_exact.values(), Decimal(0))), onsite_exact)
    carbon_free = cfe_wh_by_party(carbon_free_by_hour, carried_carbon_free_wh)
    consumption_wh = np.zeros(len(totals.parties), dtype=np.int64)
    for campus_hour in campus_hours:
        consumption_wh += campus_hour.consumer_wh.energy_wh
    party_index = {party: index for index, party in enumerate(totals.parties)}
    result: dict[str, dict[str, int]] = {}
    for tenant_id in tenant_ids:
        party = tenant_party(tenant_id)
        index = party_index[party]
        result[tenant_id] = {
            "consumption_wh": int(consumption_wh[index]),
            "grid_wh": grid_parts.get(party, 0),
            "onsite_generation_wh": onsite_parts.get(party, 0),
            "carbon_free_wh": grams_half_even(carbon_free[index]),
        }
    return result


def _hour_figures(
    campus_hours: list[CampusHour], totals: Accumulator, campus_g: dict[str, int]
) -> list[HourFigure]:
    scope1 = allocate_grams(campus_g["scope1"], totals.hourly_exact.get("scope1", {}))
    scope2 = allocate_grams(campus_g["scope2_location"], totals.hourly_exact.get("scope2_location", {}))
    return [
        HourFigure(
            hour_start_utc=h.hour_start_utc.isoformat(),
            load_wh=h.load_wh,
            generation_wh=h.generation_wh,
            grid_import_wh=h.grid_import_wh,
            export_wh=h.export_wh,
            scope1_g_co2e=scope1.get(h.hour_start_utc.isoformat(), 0),
            scope2_location_g_co2e=scope2.get(h.hour_start_utc.isoformat(), 0),
        )
        for h in campus_hours
    ]


def _factor_refs(
    context: CycleContext, fallback: FallbackRate, campus_g: dict[str, int], market: MarketOutcome
) -> list[str]:
    refs = {
        f"edition/{context.edition.edition_id}",
        *(f"{ref}" for f in context.fuel_factors.values() for ref in f.refs),
    }
    refs.update(context.edition.gwp_set(context.options.gwp_set).refs)
    refs.update(context.heat_input_refs)
    intensity = context.options.grid_intensity
    refs.add(intensity.source_ref if intensity is not None else context.grid.ref)
    refs.add(fallback.ref)
    refs.update(party_fallback.ref for party_fallback in market.fallback_by_party.values())
    if campus_g["scope3_c"] and context.grid.loss_ref:
        refs.add(context.grid.loss_ref)
    if campus_g["scope3_a"]:
        slugs = {context.options.fuel_type_by_meter.get(m, "natural-gas") for m in context.fuel_wtt_g_per_wh}
        refs.update(f"{context.edition.tables['upstream']}/{_wtt_row(s)}" for s in slugs if _wtt_row(s))
    refs.update(upstream_electricity_g_per_wh(context.edition, context.options.scope3)[1])
    return sorted(refs)


def _wtt_row(slug: str) -> str | None:
    return WTT_ROW_BY_FUEL.get(slug)


def _data_quality(
    hourly: HourlyEnergy,
    meters: Sequence[MeterRef],
    context: CycleContext,
    fallback: FallbackRate,
    tenant_ids: list[str],
    market_outcome: MarketOutcome,
) -> dict[str, str]:
    def meters_quality(roles: set[str]) -> str:
        flags = ["measured" if hourly.is_measured(m.meter_id) else "estimated" for m in meters if m.role in roles]
        return worst_quality(*flags)

    intensity = context.options.grid_intensity
    scope1 = worst_quality(
        meters_quality({"fuel"}),
        "estimated" if context.options.heat_rate_mmbtu_per_mwh_by_meter else "measured",
    )
    scope2 = worst_quality(
        meters_quality({"grid_import"}),
        "estimated" if intensity and intensity.estimated_hours else "measured",
    )
    market = worst_quality(scope2, fallback.quality)
    # Upstream factors are UK proxies for a US supply chain: a default, whatever the meter data.
    scope3 = "default"
    quality = {
        "campus_scope1": scope1,
        "campus_scope2_location": scope2,
        "campus_scope2_market": market,
        "campus_scope2_market_hourly": market,
        "campus_scope3_cat3": scope3,
    }
    # On-site generation and export meters shape every tenant's share of Scope 1.
    own = meters_quality({"generation", "export"})
    flags_by_tenant: dict[str, list[str]] = {}
    for meter in meters:
        if meter.role == "tenant_consumption" and meter.tenant_id is not None:
            flag = "measured" if hourly.is_measured(meter.meter_id) else "estimated"
            flags_by_tenant.setdefault(meter.tenant_id, []).append(flag)
    for tenant_id in tenant_ids:
        tenant_meters = worst_quality(*flags_by_tenant.get(tenant_id, []))
        quality[f"tenant:{tenant_id}:scope2_location"] = worst_quality(own, tenant_meters, scope1, scope2)
        tenant_fallback = market_outcome.fallback_by_party.get(f"tenant:{tenant_id}", fallback)
        tenant_market = worst_quality(scope2, tenant_fallback.quality)
        quality[f"tenant:{tenant_id}:scope2_market"] = worst_quality(own, tenant_meters, scope1, tenant_market)
        quality[f"tenant:{tenant_id}:scope3_cat3"] = worst_quality(tenant_meters, scope3)
    return quality


def _conventions(context: CycleContext) -> dict[str, str]:
    return {
        "gwp_set": context.options.gwp_set,
        "scope2_location_factor": "hourly series"
        if context.options.grid_intensity
        else "eGRID subregion total-output annual rate",
        "scope2_market_matching": "annual (2015 Guidance) and hourly (revision draft) reported side by side",
        "allocation": "hourly; on-site generation: exported share first, rest by metered consumption; grid by metered consumption",
        "tenant_perspective": "operator Scope 1 and grid supply become tenant Scope 2; operator cat. 3 A becomes tenant cat. 3 B",
        "exports": "reported, never netted from Scope 1",
        "rounding": "exact Decimal per hour; each campus figure rounded half-even once; parts by largest remainder",
        **context.options.scope3.as_dict(),
    }


def _exclusions(context: CycleContext) -> list[str]:
    exclusions = []
    if context.options.scope3.upstream_electricity == "exclude":
        exclusions.append(
            "Scope 3 cat. 3 B (upstream of purchased grid electricity): no US factor in the library; excluded"
        )
    if context.loss_ratio is None:
        exclusions.append(f"Scope 3 cat. 3 C (T&D losses): no grid gross loss for {context.zone}; excluded")
    missing_wtt = sorted(m for m in context.fuel_factors if m not in context.fuel_wtt_g_per_wh)
    if missing_wtt:
        exclusions.append(
            f"Scope 3 cat. 3 A: no well-to-tank factor for the fuel of meters {missing_wtt}; excluded"
        )
    return exclusions


def _disclosures(
    context: CycleContext,
    fallback: FallbackRate,
    campus_g: dict[str, int],
    parts_g: dict[str, dict[str, int]],
) -> list[str]:
    notes = [
        (
            f"Exported energy carries {parts_g['scope1'].get('retained:export', 0)} g CO2e of Scope 1; it is "
            "included in Scope 1 and not deducted."
        ),
        "Scope 3 cat. 3 A uses DESNZ 2024 UK well-to-tank factors as a proxy for the US fuel supply chain.",
    ]
    if fallback.kind != "grid_average":
        notes.append(
            f"Market-based Scope 2 prices consumption no instrument covers at the {fallback.kind.replace('_', ' ')}"
            f" rate {fallback.g_co2e_per_mwh.normalize()} g CO2e/MWh ({fallback.ref})."
        )
    if fallback.kind == "grid_average":
        notes.append(
            "No residual mix or supplier rate was available: market-based Scope 2 uses the grid average for "
            "uncovered consumption (Scope 2 Quality Criterion 8)."
        )
    if context.options.heat_rate_mmbtu_per_mwh_by_meter:
        notes.append(
            "Part of Scope 1 is estimated from generation and a declared heat rate: "
            + ", ".join(
                f"{m}={r} MMBtu/MWh"
                for m, r in sorted(context.options.heat_rate_mmbtu_per_mwh_by_meter.items())
            )
        )
    return notes

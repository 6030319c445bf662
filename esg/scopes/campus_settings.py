"""The emission options of a campus, from its campus file and the market-rate library (pure).

The campus file says what only its operator knows: each meter's fuel and whether a generator is carbon-free (in
`[[meters]]`), and in `[esg]` the GWP set, a pinned factor edition, the supplier-specific rates it buys under, a
residual mix, the zones its certificates may come from, heat rates of units without a fuel meter, the Scope 3
switches, where the emissions of shared loads go, and the operator's emissions without delivered energy
(refrigerant leaks, backup-generator fuel in billing units) with the key that passes them to tenants. Rates are rows of the market-rate library, named by id or,
for the residual mix and the grid upstream factor, found by the campus's subregion and the period.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from campus import Meter, MeterRole
from esg.errors import EmissionsInputInvalid
from esg.factors import FactorLibrary, MarketRateRow, select_rate
from esg.scopes.options import EmissionOptions
from esg.scopes.scope2_market import MarketRate
from esg.scopes.scope3 import Scope3Conventions
from esg.scopes.shared_services import SharedServiceSource

# Campus files name fuels in words; the library keys EPA Table 1 rows by slug (`natural-gas`).
FUEL_ALIASES = {
    "diesel": "distillate-fuel-oil-no-2",
    "gas_oil": "distillate-fuel-oil-no-2",
    "fuel_oil_2": "distillate-fuel-oil-no-2",
    "lpg": "liquefied-petroleum-gases-lpg",
}


@dataclass(frozen=True)
class CampusEmissionSettings:
    """What a cycle's emissions take from the campus: the options, a pinned edition, the shared-load rule."""

    options: EmissionOptions
    factor_edition: str | None
    shared_load_follows_billing: bool


def fuel_slug_of(fuel_type: str) -> str:
    """`natural_gas` -> `natural-gas`, `diesel` -> `distillate-fuel-oil-no-2` (EPA Table 1 slugs pass)."""
    lowered = fuel_type.strip().lower()
    return FUEL_ALIASES.get(lowered, re.sub(r"[^a-z0-9]+", "-", lowered).strip("-"))


def campus_emission_settings(
    meters: Sequence[Meter],
    esg: Mapping[str, Any],
    rates: Sequence[MarketRateRow],
    zone: str,
    period: tuple[datetime, datetime],
    library: FactorLibrary,
    time_zone: str = "UTC",
) -> CampusEmissionSettings:
    """Options for one cycle of the campus; a name the library does not know raises `EmissionsInputInvalid`
    naming the campus file's field."""
    known_fuels = {slug for edition in library.editions.values() for slug in edition.combustion}
    fuel_type_by_meter: dict[str, str] = {}
    heat_rates = {meter_id: Decimal(str(rate)) for meter_id, rate in (esg.get("heat_rate_mmbtu_per_mwh") or {}).items()}
    for meter in meters:
        burns = meter.role == MeterRole.FUEL or meter.meter_id in heat_rates
        if not burns or not meter.fuel_type:
            continue
        slug = fuel_slug_of(meter.fuel_type)
        if slug not in known_fuels:
            raise EmissionsInputInvalid(f"campus file, meter {meter.meter_id}", None, "fuel_type",
                                        f"{meter.fuel_type!r} is not a fuel of EPA Table 1 (e.g. natural_gas, diesel,"
                                        " propane)")
        fuel_type_by_meter[meter.meter_id] = slug
    carbon_free = frozenset(m.meter_id for m in meters if m.role == MeterRole.GENERATION and m.carbon_free)
    deliverable = frozenset(str(zone_name) for zone_name in esg.get("deliverable_zones") or [])
    options = EmissionOptions(
        gwp_set=str(esg.get("gwp_set") or "AR5"),
        fuel_type_by_meter=fuel_type_by_meter,
        heat_rate_mmbtu_per_mwh_by_meter=heat_rates,
        volume_metered_fuel_meter_ids=frozenset(esg.get("volume_metered_fuel_meters") or []),
        carbon_free_generation_meter_ids=carbon_free,
        market_rates=_market_rates(esg, rates, zone, deliverable, period),
        deliverable_zones=deliverable,
        scope3=_scope3(esg, rates, zone, period),
        shared_services=shared_services_in_period(esg.get("shared_services") or [], period, time_zone),
    )
    return CampusEmissionSettings(options, esg.get("factor_edition"), esg.get("shared_load", "billed") == "billed")


def _market_rates(esg: Mapping[str, Any], rates: Sequence[MarketRateRow], zone: str, deliverable: frozenset[str],
                  period: tuple[datetime, datetime]) -> list[MarketRate]:
    chosen: list[MarketRate] = []
    if esg.get("supplier_rate"):
        row = _required(select_rate(rates, "supplier", zone, period, esg["supplier_rate"], "esg.supplier_rate"))
        chosen.append(MarketRate("supplier", zone, row.g_co2e_per_mwh, row.ref))
    for index, tenant_rate in enumerate(esg.get("tenant_supplier_rates") or []):
        where = f"esg.tenant_supplier_rates[{index}]"
        row = _required(select_rate(rates, "supplier", zone, period, tenant_rate["rate"], where))
        chosen.append(MarketRate("supplier", zone, row.g_co2e_per_mwh, row.ref, tenant_rate["tenant"]))
    residual = select_rate(rates, "residual_mix", zone, period, esg.get("residual_mix"), "esg.residual_mix")
    if residual is not None:
        if residual.zone != zone and residual.zone not in deliverable:
            raise EmissionsInputInvalid("esg.residual_mix", None, "residual_mix",
                                        f"market rate {residual.rate_id} is for zone {residual.zone}, not {zone} or "
                                        "a zone of esg.deliverable_zones")
        chosen.append(MarketRate("residual_mix", zone, residual.g_co2e_per_mwh, residual.ref))
    return chosen


def _scope3(esg: Mapping[str, Any], rates: Sequence[MarketRateRow], zone: str,
            period: tuple[datetime, datetime]) -> Scope3Conventions:
    upstream = str(esg.get("scope3_upstream_electricity") or "exclude")
    rate: Decimal | None = None
    ref = ""
    if upstream == "library":
        row = select_rate(rates, "grid_upstream", zone, period, esg.get("grid_upstream_rate"),
                          "esg.grid_upstream_rate")
        if row is None:
            raise EmissionsInputInvalid("esg.scope3_upstream_electricity", None, "scope3_upstream_electricity",
                                        f"`library` but no grid_upstream rate for {zone} covers "
                                        f"{period[0].isoformat()} to {period[1].isoformat()}")
        rate, ref = row.g_co2e_per_mwh, row.ref
    return Scope3Conventions(
        td_loss_ratio=str(esg.get("scope3_td_loss_ratio") or "ggl_over_one_minus_ggl"),
        td_loss_factor_basis=str(esg.get("scope3_td_loss_factor_basis") or "location"),
        upstream_electricity=upstream,
        operator_resells_grid_power=bool(esg.get("operator_resells_grid_power", False)),
        upstream_electricity_g_co2e_per_mwh=rate,
        upstream_electricity_ref=ref,
    )


def shared_services_in_period(items: Sequence[Mapping[str, Any]], period: tuple[datetime, datetime],
                              time_zone: str) -> list[SharedServiceSource]:
    """The campus file's shared-service events whose local day starts inside the period (each counts in one
    cycle only)."""
    zone = ZoneInfo(time_zone)
    sources = []
    for item in items:
        day = date.fromisoformat(str(item["occurred_on"]))
        local_midnight_utc = datetime.combine(day, time(0), zone).astimezone(UTC)
        if not period[0] <= local_midnight_utc < period[1]:
            continue
        sources.append(SharedServiceSource(
            source_id=str(item["id"]), kind=str(item["kind"]), substance=str(item["substance"]),
            quantity=Decimal(str(item["quantity"])), unit=str(item["unit"]), occurred_on=day,
            key_name=str(item["key_name"]),
            allocation_key_by_tenant={str(t): int(w) for t, w in dict(item["allocation_key"]).items()},
            tenant_scope3_category=str(item.get("tenant_scope3_category") or "cat1_purchased_services"),
            quality=str(item.get("quality") or "measured"),
            heating_value_basis=str(item.get("heating_value_basis") or "HHV"),
        ))
    return sources


def _required(row: MarketRateRow | None) -> MarketRateRow:
    assert row is not None, "select_rate returns the named row or raises"
    return row

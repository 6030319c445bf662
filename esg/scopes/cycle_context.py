"""What every hour of a cycle needs, resolved once: fuel factors with overrides, grid factor, GWPs, switches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from esg.errors import EmissionsInputInvalid
from esg.factors import G_PER_LB, EffectiveFactor, FactorEdition, GridFactor, effective_factor
from esg.scopes.campus_hours import CampusHour
from esg.scopes.hourly_energy import MeterRef
from esg.scopes.options import DEFAULT_FUEL, EmissionOptions
from esg.scopes.scope3 import td_loss_ratio, upstream_electricity_g_per_wh, wtt_factor


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


def build_context(
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

"""Per-hour campus energy balance built from hourly meter Wh: the input of every emissions rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from esg.errors import EmissionsInputInvalid
from esg.factors import WH_PER_MWH, mmbtu_from_wh_thermal
from esg.scopes.allocation import SHARED, tenant_party
from esg.scopes.hourly_energy import ROLES, HourlyEnergy, MeterRef


@dataclass(frozen=True)
class CampusHour:
    """One UTC hour: fuel burnt per meter (MMBtu HHV), electric flows (Wh) and consumption per party (Wh)."""

    hour_start_utc: datetime
    fuel_mmbtu_by_meter: dict[str, Decimal]
    generation_wh: int
    carbon_free_generation_wh: int
    grid_import_wh: int
    export_wh: int
    consumer_wh: dict[str, int]

    @property
    def load_wh(self) -> int:
        return sum(self.consumer_wh.values())


def validate_meters(
    meters: Sequence[MeterRef],
    heat_rate_mmbtu_per_mwh_by_meter: Mapping[str, Decimal],
    carbon_free_generation_meter_ids: frozenset[str],
) -> None:
    """Roles are known, ids unique, tenants named where needed; heat rates and CFE ids name generation meters."""
    seen: set[str] = set()
    for meter in meters:
        where = f"meter {meter.meter_id}"
        if meter.meter_id in seen:
            raise EmissionsInputInvalid(where, None, "meter_id", "listed twice")
        seen.add(meter.meter_id)
        if meter.role not in ROLES:
            raise EmissionsInputInvalid(where, None, "role", f"{meter.role!r} not in {sorted(ROLES)}")
        if (meter.role == "tenant_consumption") != (meter.tenant_id is not None):
            raise EmissionsInputInvalid(
                where, None, "tenant_id", "a tenant_consumption meter, and only it, names a tenant"
            )
    generation_ids = {meter.meter_id for meter in meters if meter.role == "generation"}
    for meter_id, heat_rate in heat_rate_mmbtu_per_mwh_by_meter.items():
        if meter_id not in generation_ids:
            raise EmissionsInputInvalid(
                f"meter {meter_id}", None, "heat_rate", "not a generation meter of the list"
            )
        if heat_rate <= 0:
            raise EmissionsInputInvalid(
                f"meter {meter_id}", None, "heat_rate", f"{heat_rate} is not positive"
            )
    unknown = carbon_free_generation_meter_ids - generation_ids
    if unknown:
        raise EmissionsInputInvalid(
            "carbon_free_generation_meter_ids", None, None, f"not generation meters: {sorted(unknown)}"
        )
    overlap = carbon_free_generation_meter_ids & set(heat_rate_mmbtu_per_mwh_by_meter)
    if overlap:
        raise EmissionsInputInvalid(
            "carbon_free_generation_meter_ids", None, None, f"burn fuel: {sorted(overlap)}"
        )


def build_campus_hours(
    hourly: HourlyEnergy,
    meters: Sequence[MeterRef],
    heat_rate_mmbtu_per_mwh_by_meter: Mapping[str, Decimal],
    carbon_free_generation_meter_ids: frozenset[str],
) -> list[CampusHour]:
    return [
        _campus_hour(hour, hourly, meters, heat_rate_mmbtu_per_mwh_by_meter, carbon_free_generation_meter_ids)
        for hour in hourly.hours()
    ]


def _campus_hour(
    hour: datetime,
    hourly: HourlyEnergy,
    meters: Sequence[MeterRef],
    heat_rates: Mapping[str, Decimal],
    carbon_free_ids: frozenset[str],
) -> CampusHour:
    def energy(meter_id: str) -> int:
        return hourly.energy_wh.get(meter_id, {}).get(hour, 0)

    fuel_mmbtu: dict[str, Decimal] = {}
    flows = {"generation": 0, "carbon_free": 0, "grid_import": 0, "export": 0}
    consumer_wh: dict[str, int] = {}
    for meter in meters:
        energy_wh = energy(meter.meter_id)
        if meter.role == "fuel":
            fuel_mmbtu[meter.meter_id] = mmbtu_from_wh_thermal(energy_wh)
        elif meter.role == "generation":
            flows["generation"] += energy_wh
            if meter.meter_id in carbon_free_ids:
                flows["carbon_free"] += energy_wh
            if meter.meter_id in heat_rates:
                # No fuel meter on this unit: heat input = MWh generated x heat rate (MMBtu HHV per MWh).
                fuel_mmbtu[meter.meter_id] = Decimal(energy_wh) / WH_PER_MWH * heat_rates[meter.meter_id]
        elif meter.role in ("grid_import", "export"):
            flows[meter.role] += energy_wh
        else:
            party = SHARED if meter.role == "shared_consumption" else tenant_party(str(meter.tenant_id))
            consumer_wh[party] = consumer_wh.get(party, 0) + energy_wh
    return CampusHour(
        hour,
        fuel_mmbtu,
        flows["generation"],
        flows["carbon_free"],
        flows["grid_import"],
        flows["export"],
        consumer_wh,
    )

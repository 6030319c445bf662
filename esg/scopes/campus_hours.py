"""Per-hour campus energy balance built from hourly meter Wh: the input of every emissions rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np

from campus import StorageAsset
from esg.errors import EmissionsInputInvalid
from esg.factors import WH_PER_MWH, mmbtu_from_wh_thermal
from esg.scopes.allocation import SHARED, storage_party, tenant_party
from esg.scopes.hourly_energy import ROLES, HourlyEnergy, MeterRef
from esg.scopes.party_amounts import Consumption


@dataclass(frozen=True)
class CampusHour:
    """One UTC hour: fuel burnt per meter (MMBtu HHV), electric flows (Wh) and consumption per party (Wh).

    `consumer_wh` holds the Wh of each consuming party of `parties`; every hour of a cycle lists the same
    parties."""

    hour_start_utc: datetime
    fuel_mmbtu_by_meter: dict[str, Decimal]
    generation_wh: int
    carbon_free_generation_wh: int
    grid_import_wh: int
    export_wh: int
    parties: tuple[str, ...]
    consumer_wh: Consumption

    @property
    def load_wh(self) -> int:
        return self.consumer_wh.total_wh


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
    storage_assets: Sequence[StorageAsset] = (),
) -> list[CampusHour]:
    """One `CampusHour` per hour with rows. Flows and each party's consumption are summed over meters as int64
    arrays (one numpy call per role, not one Python step per meter and hour); only fuel heat input, per fuel
    meter, becomes Decimal. Each of `storage_assets` consumes its charge (`retained:storage.<id>`)."""
    matrix = hourly.sums.dense()
    row_of = {meter_id: index for index, meter_id in enumerate(hourly.sums.meter_ids)}

    def flow(selected: Sequence[MeterRef]) -> list[int]:
        # Listed meters without rows in the file add nothing.
        rows = np.array([row_of[m.meter_id] for m in selected if m.meter_id in row_of], dtype=np.int64)
        return list(matrix[rows].sum(axis=0, dtype=np.int64).tolist())

    generation = [m for m in meters if m.role == "generation"]
    fuel_mmbtu = _fuel_mmbtu_by_meter(matrix, row_of, meters, heat_rate_mmbtu_per_mwh_by_meter)
    parties, consumption = _consumption_by_party(matrix, row_of, meters, storage_assets)
    return [
        CampusHour(hour, {meter_id: by_hour[index] for meter_id, by_hour in fuel_mmbtu.items()},
                   generation_wh, carbon_free_wh, grid_import_wh, export_wh, parties, Consumption.of(by_party))
        for index, (hour, generation_wh, carbon_free_wh, grid_import_wh, export_wh, by_party) in enumerate(zip(
            hourly.hours(),
            flow(generation),
            flow([m for m in generation if m.meter_id in carbon_free_generation_meter_ids]),
            flow([m for m in meters if m.role == "grid_import"]),
            flow([m for m in meters if m.role == "export"]),
            consumption,
            strict=True,
        ))
    ]


def _fuel_mmbtu_by_meter(
    matrix: np.ndarray,
    row_of: Mapping[str, int],
    meters: Sequence[MeterRef],
    heat_rates: Mapping[str, Decimal],
) -> dict[str, list[Decimal]]:
    """Heat input per fuel meter and hour, MMBtu HHV: metered fuel, or generation x a declared heat rate."""
    fuel_mmbtu: dict[str, list[Decimal]] = {}
    for meter in meters:
        if meter.role != "fuel" and not (meter.role == "generation" and meter.meter_id in heat_rates):
            continue
        row: list[int] = (matrix[row_of[meter.meter_id]] if meter.meter_id in row_of
                          else np.zeros(matrix.shape[1], dtype=np.int64)).tolist()
        if meter.role == "fuel":
            fuel_mmbtu[meter.meter_id] = [mmbtu_from_wh_thermal(energy_wh) for energy_wh in row]
        else:
            # No fuel meter on this unit: heat input = MWh generated x heat rate (MMBtu HHV per MWh).
            rate = heat_rates[meter.meter_id]
            fuel_mmbtu[meter.meter_id] = [Decimal(energy_wh) / WH_PER_MWH * rate for energy_wh in row]
    return fuel_mmbtu


def _consumption_by_party(
    matrix: np.ndarray, row_of: Mapping[str, int], meters: Sequence[MeterRef], storage_assets: Sequence[StorageAsset]
) -> tuple[tuple[str, ...], list[np.ndarray]]:
    """Consuming parties in the order their first meter is listed, and per hour each party's Wh (int64)."""
    parties = consuming_parties(meters, storage_assets)
    charging = _charging_parties(storage_assets)
    party_of = {party: index for index, party in enumerate(parties)}
    meter_rows: list[int] = []
    party_rows: list[int] = []
    for meter in meters:
        party = _party_of_meter(meter, charging)
        if party is not None and meter.meter_id in row_of:
            meter_rows.append(row_of[meter.meter_id])
            party_rows.append(party_of[party])
    by_party = np.zeros((len(parties), matrix.shape[1]), dtype=np.int64)
    np.add.at(by_party, np.array(party_rows, dtype=np.int64), matrix[np.array(meter_rows, dtype=np.int64)])
    return parties, list(np.ascontiguousarray(by_party.T))


def consuming_parties(meters: Sequence[MeterRef], storage_assets: Sequence[StorageAsset] = ()) -> tuple[str, ...]:
    """`tenant:<id>`, `retained:shared` and the charging batteries (`retained:storage.<id>`), in the order their
    first meter is listed."""
    charging = _charging_parties(storage_assets)
    parties = (_party_of_meter(meter, charging) for meter in meters)
    return tuple(dict.fromkeys(party for party in parties if party is not None))


def _charging_parties(storage_assets: Sequence[StorageAsset]) -> dict[str, str]:
    return {asset.charge_meter_id: storage_party(asset.asset_id) for asset in storage_assets}


def _party_of_meter(meter: MeterRef, charging: Mapping[str, str]) -> str | None:
    if meter.role == "shared_consumption":
        return SHARED
    if meter.role == "storage_charge":
        return charging.get(meter.meter_id)
    return tenant_party(str(meter.tenant_id)) if meter.role == "tenant_consumption" else None

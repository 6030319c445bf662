"""A battery's period from validated intervals (docs/storage.md): hour by hour, what charged it, from which sources,
and who took its discharge; then the charging-source pool over those hours.

Hours are UTC hours (every interval lies in one). In each hour:
- the battery's charge is taken from the campus's sources of the hour in proportion to what each supplied
  (`settlement.storage_pool.charge_lots`): `grid_import` (every grid import meter) and `generation:<meter>` (each
  generation meter), its own discharge excluded;
- its discharge goes to the hour's metered uses (`discharge_by_party`): first the export that on-site generation
  did not cover (the campus exports its generation first and never re-exports imports: the emissions engine's
  rule), then the on-site load (tenants by id, `shared`) in proportion to each party's metered Wh, then the rest
  of the export; no party takes more than it used in the hour. What is left had no metered use: it is not drawn
  (`StorageInterval.unmetered_discharge_wh`) and ends in the period's losses.

Rates per Wh by source (cost: the source's price in USD/MWh; grams: g/kWh / 1000) are constant over the period
unless `hourly_rates` gives an hour its own (hourly grid intensities, real-time prices).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import pyarrow as pa

from campus import MeterRole, StorageAsset
from intervals import energy_wh_by_meter_hour
from meterdata.state_of_charge import stored_wh_at_period_end
from settlement.allocation import allocate_largest_remainder
from settlement.storage_pool import (
    AMOUNT_COST,
    PARTY_EXPORT,
    Lot,
    Pool,
    StorageInterval,
    StoragePeriod,
    StoragePoolShort,
    charge_lots,
    settle_storage_period,
)

SOURCE_GRID = "grid_import"
PARTY_SHARED = "shared"

Rates = Mapping[str, Mapping[str, Decimal]]


class MeterLike(Protocol):
    """A campus meter as this module needs it (settlement's MeterRef and campus.Meter both fit)."""

    @property
    def meter_id(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def tenant_id(self) -> str | None: ...


@dataclass(frozen=True)
class StorageHour:
    hour_start_utc: datetime
    charge_wh: int
    discharge_wh: int
    supply_wh_by_source: dict[str, int]
    load_wh_by_party: dict[str, int]
    export_wh: int = 0

    @property
    def generation_wh(self) -> int:
        return sum(energy_wh for source, energy_wh in self.supply_wh_by_source.items()
                   if source.startswith("generation:"))


def storage_hours(table: pa.Table, meters: Sequence[MeterLike], asset: StorageAsset) -> list[StorageHour]:
    """The asset's hours with charge or discharge, in time order, from an INTERVAL_SCHEMA table."""
    return storage_hours_of(energy_wh_by_meter_hour(table), meters, asset)


def storage_hours_of(by_meter: Mapping[str, Mapping[datetime, int]], meters: Sequence[MeterLike],
                     asset: StorageAsset) -> list[StorageHour]:
    """The same from Wh per meter and UTC hour (the emissions engine's hourly sums)."""
    charge = by_meter.get(asset.charge_meter_id, {})
    discharge = by_meter.get(asset.discharge_meter_id, {})
    hours: list[StorageHour] = []
    for hour in sorted(set(charge) | set(discharge)):
        charge_wh, discharge_wh = charge.get(hour, 0), discharge.get(hour, 0)
        if not charge_wh and not discharge_wh:
            continue
        supply: dict[str, int] = {}
        load: dict[str, int] = {}
        export_wh = 0
        for meter in meters:
            energy_wh = by_meter.get(meter.meter_id, {}).get(hour, 0)
            if meter.role == MeterRole.GRID_IMPORT:
                supply[SOURCE_GRID] = supply.get(SOURCE_GRID, 0) + energy_wh
            elif meter.role == MeterRole.GENERATION:
                supply[f"generation:{meter.meter_id}"] = energy_wh
            elif meter.role == MeterRole.TENANT and meter.tenant_id is not None:
                load[meter.tenant_id] = load.get(meter.tenant_id, 0) + energy_wh
            elif meter.role == MeterRole.SHARED:
                load[PARTY_SHARED] = load.get(PARTY_SHARED, 0) + energy_wh
            elif meter.role == MeterRole.EXPORT:
                export_wh += energy_wh
        hours.append(StorageHour(hour, charge_wh, discharge_wh, supply, load, export_wh))
    return hours


def discharge_by_party(discharge_wh: int, load_wh_by_party: Mapping[str, int], export_wh: int = 0,
                       generation_wh: int = 0) -> dict[str, int]:
    """Party -> Wh of the hour's discharge each metered use took (`export` for the campus's export), in this order:

    1. the export beyond on-site generation (`export - generation`), which only the battery can have supplied;
    2. the on-site load, `min(rest, tenants + shared)`, split in proportion to each party's metered Wh (largest
       remainder, parties in id order), so no party takes more than it used;
    3. the rest of the export, up to the export's metered Wh.

    What is left (discharge beyond every metered use of the hour) is in no party's share: see `unmetered_wh`."""
    if discharge_wh == 0:
        return {}
    exported_wh = min(discharge_wh, max(0, export_wh - generation_wh))
    parties = sorted(party for party, energy_wh in load_wh_by_party.items() if energy_wh > 0)
    onsite_wh = min(discharge_wh - exported_wh, sum(load_wh_by_party[party] for party in parties))
    shares = allocate_largest_remainder(onsite_wh, [load_wh_by_party[party] for party in parties]) if onsite_wh \
        else [0] * len(parties)
    taken = {party: share for party, share in zip(parties, shares, strict=True) if share}
    exported_wh += min(discharge_wh - exported_wh - onsite_wh, export_wh - exported_wh)
    if exported_wh:
        taken[PARTY_EXPORT] = exported_wh
    return dict(sorted(taken.items()))


def discharge_of(hour: StorageHour) -> dict[str, int]:
    """`discharge_by_party` of one hour."""
    return discharge_by_party(hour.discharge_wh, hour.load_wh_by_party, hour.export_wh, hour.generation_wh)


def unmetered_wh(hour: StorageHour) -> int:
    """The hour's discharge that no metered use took (a metering inconsistency the storage VEE rules report)."""
    return hour.discharge_wh - sum(discharge_of(hour).values())


def storage_interval(hour: StorageHour, lots: Sequence[Lot]) -> StorageInterval:
    """The pool's view of one hour: its charge lots, who took the discharge, and what no metered use took."""
    taken = discharge_of(hour)
    return StorageInterval(tuple(lots), taken, hour.discharge_wh - sum(taken.values()),
                           hour.hour_start_utc.isoformat())


def settle_asset_period(asset: StorageAsset, opening: Pool, intervals: Sequence[StorageInterval],
                        stored_wh_end: int) -> StoragePeriod:
    """`settle_storage_period` for one battery by its losses key; a refusal names the battery (a cycle shows it as
    its FAILED detail: more discharged than the pool holds is what the storage VEE rule
    `storage_discharge_exceeds_stored` reports by hour)."""
    try:
        return settle_storage_period(opening, intervals, stored_wh_end, dict(asset.losses_key))
    except StoragePoolShort as error:
        raise StoragePoolShort(f"battery {asset.asset_id}: {error} (see the VEE report's storage findings)") \
            from error


def storage_period(asset: StorageAsset, hours: Sequence[StorageHour], opening: Pool, stored_wh_end: int,
                   rates: Rates, hourly_rates: Mapping[datetime, Rates] | None = None) -> StoragePeriod:
    """The pool over the hours: charge lots from each hour's sources at the hour's rates, discharge to the hour's
    uses, losses by the asset's key (`settle_storage_period`)."""
    intervals = [
        storage_interval(hour, charge_lots(hour.charge_wh, hour.supply_wh_by_source,
                                           (hourly_rates or {}).get(hour.hour_start_utc, rates)))
        for hour in hours
    ]
    return settle_asset_period(asset, opening, intervals, stored_wh_end)


def storage_figures(hours: Sequence[StorageHour], period: StoragePeriod) -> dict[str, int]:
    """One battery's period as the settle step records it (Wh, micro-USD): the export's energy and losses are
    billed to no tenant, so their cost stays the campus's; unmetered energy is what no metered use took or no
    metered source supplied (the storage VEE findings name the hours)."""
    exported = period.taken_by_party.get(PARTY_EXPORT, ())
    exported_losses = period.losses_by_party.get(PARTY_EXPORT, ())
    return {
        "charge_wh": sum(hour.charge_wh for hour in hours),
        "discharge_wh": sum(hour.discharge_wh for hour in hours),
        "exported_wh": sum(lot.energy_wh for lot in exported),
        "exported_cost_usd_micros": sum(lot.amount(AMOUNT_COST) for lot in exported),
        "exported_losses_wh": sum(lot.energy_wh for lot in exported_losses),
        "exported_losses_cost_usd_micros": sum(lot.amount(AMOUNT_COST) for lot in exported_losses),
        "losses_wh": period.losses_wh,
        "unmetered_discharge_wh": period.unmetered_discharge_wh,
        "unmetered_charge_wh": sum(hour.charge_wh for hour in hours if not any(hour.supply_wh_by_source.values())),
        "closing_wh": period.closing.energy_wh,
    }


def reported_stored_wh_end(assets: Sequence[StorageAsset], validated_uri: str, period_end_utc: datetime
                           ) -> dict[str, int]:
    """Asset id -> the state of charge reported at the period's end, read from beside the validated file
    (meterdata.state_of_charge), for the assets that declare a state-of-charge channel; empty when none does."""
    if not any(asset.state_of_charge_channel is not None for asset in assets):
        return {}
    declared = {asset.asset_id for asset in assets if asset.state_of_charge_channel is not None}
    reported = stored_wh_at_period_end(validated_uri, period_end_utc)
    return {asset_id: stored_wh for asset_id, stored_wh in reported.items() if asset_id in declared}

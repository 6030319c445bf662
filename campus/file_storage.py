"""The campus file's `[[storage]]` section: batteries as metered assets (docs/storage.md).

A battery is metered by a charge meter (role `storage_charge`) and a discharge meter (role `storage_discharge`);
a bidirectional meter is declared as two meters, one per register (channel). Its state of charge, where the
battery management system reports one, is a channel of the discharge meter's files (Wh stored at each interval end)
named by `state_of_charge_channel` (meterdata.state_of_charge). The asset's
figures feed the storage VEE rules (meterdata.storage_checks), the charging-source pool of settlement and the
carried carbon intensity of emissions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from common.bounds import INT64_MAX, checked_decimal

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
METER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
# A channel name as the meter files carry it (plain: meterdata.csv_columnar).
CHANNEL_PATTERN = r"^[A-Za-z0-9_.:/-]+$"
ENERGY_CHANNELS = ("main", "register")
KW_MAX = 10_000_000  # 10 GW
WH_MAX = 10**15  # 1 TWh: above any battery
FEE_USD_MAX = Decimal(1_000_000_000)
PRICE_USD_PER_MWH_MAX = Decimal(1_000_000)

Wh = Annotated[int, Field(ge=0, le=WH_MAX)]
Permille = Annotated[int, Field(gt=0, le=1000)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageServiceSection(_Section):
    id: str = Field(pattern=ID_PATTERN, description="The service's id, named on the invoice line.")
    tenant: str = Field(pattern=ID_PATTERN, description="The tenant whose backup the capacity is reserved for.")
    reserved_wh: Wh = Field(description="Energy kept in the battery for the tenant; never offered to the market.")
    fee_usd_per_month: Annotated[Decimal, Field(ge=0, le=FEE_USD_MAX), BeforeValidator(checked_decimal)] = Field(
        description="Fixed charge per billing month, whatever the battery did.")


class StorageSection(_Section):
    id: str = Field(pattern=ID_PATTERN, description="The asset's id (e.g. bess1, ups-hall-a).")
    charge_meter: str = Field(pattern=METER_ID_PATTERN, description="Meter of role storage_charge: energy in.")
    discharge_meter: str = Field(pattern=METER_ID_PATTERN,
                                 description="Meter of role storage_discharge: energy out into the campus.")
    state_of_charge_channel: str | None = Field(
        None, min_length=1, max_length=100, pattern=CHANNEL_PATTERN,
        description="Channel of the discharge meter's files carrying the stored energy (Wh at each interval end), "
                    "when the battery management system reports it; never `main` or `register`, which carry its "
                    "energy.")
    capacity_wh_usable: Wh = Field(description="Usable energy: the state of charge never goes above it.")
    power_kw_rated: Annotated[int, Field(gt=0, le=KW_MAX)] = Field(
        description="Inverter rating; charge and discharge meters are rated at it.")
    round_trip_efficiency_permille_min: Permille = Field(
        description="Lowest plausible share (per mille) of charged energy that comes back out.")
    round_trip_efficiency_permille_max: Permille = Field(description="Highest plausible share (per mille).")
    state_of_charge_wh_initial: Wh = Field(0, description="Stored energy when the asset entered the books.")
    state_of_charge_wh_min: Wh = Field(0, description="Floor the battery management system keeps.")
    pool_method: Literal["fifo", "pro_rata"] = Field(
        "fifo", description="How discharged energy takes the sources (and prices) of the charging energy.")
    losses_key: dict[str, Annotated[int, Field(ge=0, le=INT64_MAX)]] = Field(
        default_factory=dict, description="Tenant id -> weight for the round-trip losses; empty: in proportion "
                                          "to the energy each tenant took from the battery.")
    services: list[StorageServiceSection] = Field(default_factory=list)
    supply_prices_usd_per_mwh: dict[str, Annotated[Decimal, Field(ge=0, le=PRICE_USD_PER_MWH_MAX),
                                                   BeforeValidator(checked_decimal)]] | None = Field(
        None, description="Source (`grid_import`, `generation:<meter id>`) -> price of its charging energy. When "
                          "given, tenants pay the battery's energy at the pool's cost of what charged it instead of "
                          "their contract price for the Wh they took from it (docs/storage.md); absent: their "
                          "contracts price all their metered consumption.")

    @field_validator("state_of_charge_channel")
    @classmethod
    def _not_an_energy_channel(cls, channel: str | None) -> str | None:
        if channel in ENERGY_CHANNELS:
            raise ValueError(f"{channel!r} carries the discharge meter's energy, not its state of charge")
        return channel

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        if self.round_trip_efficiency_permille_min > self.round_trip_efficiency_permille_max:
            raise ValueError(f"round_trip_efficiency_permille_min {self.round_trip_efficiency_permille_min} is "
                             f"above round_trip_efficiency_permille_max {self.round_trip_efficiency_permille_max}")
        if self.state_of_charge_wh_min > self.capacity_wh_usable:
            raise ValueError(f"state_of_charge_wh_min {self.state_of_charge_wh_min} is above capacity_wh_usable "
                             f"{self.capacity_wh_usable}")
        if not self.state_of_charge_wh_min <= self.state_of_charge_wh_initial <= self.capacity_wh_usable:
            raise ValueError(f"state_of_charge_wh_initial {self.state_of_charge_wh_initial} is outside "
                             f"[{self.state_of_charge_wh_min}, {self.capacity_wh_usable}]")
        reserved_wh = sum(service.reserved_wh for service in self.services)
        if reserved_wh > self.capacity_wh_usable - self.state_of_charge_wh_min:
            raise ValueError(f"services reserve {reserved_wh} Wh, more than the usable {self.capacity_wh_usable} Wh "
                             f"above the floor {self.state_of_charge_wh_min} Wh")
        return self


def storage_problems(document: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Cross-section checks: meters exist with the right role and serve one asset; tenants exist."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    roles = {meter["id"]: meter["role"] for meter in document["meters"]}
    for index, meter in enumerate(document["meters"]):
        # The ISO adapters submit revenue meters only; a battery behind them reaches the ISO through grid_import and
        # export, and none of them writes a storage resource's own meter data yet.
        if meter["role"] in ("storage_charge", "storage_discharge") and meter.get("iso_meter_id"):
            reason = ("a storage meter is behind the revenue meter: ISO submissions of storage resources are not "
                      "supported")
            problems.append((("meters", index, "iso_meter_id"), reason))
    tenants = {tenant["id"] for tenant in document.get("tenants", [])}
    meters_used: set[str] = set()
    assets_seen: set[str] = set()
    for index, asset in enumerate(document.get("storage") or []):
        if asset["id"] in assets_seen:
            problems.append((("storage", index, "id"), f"{asset['id']!r} appears twice"))
        assets_seen.add(asset["id"])
        for field, role in (("charge_meter", "storage_charge"), ("discharge_meter", "storage_discharge")):
            meter_id = asset[field]
            where = ("storage", index, field)
            if meter_id not in roles:
                problems.append((where, f"unknown meter {meter_id!r}"))
            elif roles[meter_id] != role:
                problems.append((where, f"{meter_id!r} has role {roles[meter_id]}, not {role}"))
            elif meter_id in meters_used:
                problems.append((where, f"{meter_id!r} already serves a storage asset"))
            meters_used.add(meter_id)
        for key_tenant in asset.get("losses_key") or {}:
            if key_tenant not in tenants:
                problems.append((("storage", index, "losses_key"), f"unknown tenant {key_tenant!r}"))
        for source in asset.get("supply_prices_usd_per_mwh") or {}:
            generation_meter = source.removeprefix("generation:")
            if source != "grid_import" and (source == generation_meter or roles.get(generation_meter) != "generation"):
                problems.append((("storage", index, "supply_prices_usd_per_mwh"),
                                 f"unknown source {source!r}: grid_import or generation:<a generation meter>"))
        for number, service in enumerate(asset.get("services") or []):
            if service["tenant"] not in tenants:
                problems.append((("storage", index, "services", number, "tenant"),
                                 f"unknown tenant {service['tenant']!r}"))
    return problems


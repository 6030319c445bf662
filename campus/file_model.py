"""The campus file's shape: one pydantic model per section. The published JSON Schema is generated from it.

Field docs here are the reference for `docs/campus-file.md`. Decimals are read exactly (TOML numbers are parsed
as Decimal; strings are accepted too); dates are local calendar dates in the campus's time zone; instants carry
an offset.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from campus.file_channels import ChannelSection
from campus.file_csv_layouts import CsvLayoutSection
from campus.file_market import MarketSection
from campus.file_storage import StorageSection
from campus.model import IntervalMinutes, IsoName, MeterRole, MeterUnit
from common.bounds import INT64_MAX, Day, Instant, checked_decimal

SCHEMA_VERSION: Final = 1
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
METER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
CONTRACT_KEY_PATTERN = r"^[a-z0-9][a-z0-9_.:-]{0,126}$"

MULTIPLIER_MAX = Decimal(1_000_000)
READ_MAX = Decimal(10) ** 12
"""CT ratio x PT ratio; real metering installations stay far below it."""
RATED_KW_MAX = 10_000_000
"""10 GW: above any single metering point."""
# The bounds come before the validator so the published JSON Schema states them.
Positive = Annotated[Decimal, Field(gt=0, le=MULTIPLIER_MAX), BeforeValidator(checked_decimal)]
# A register as a meter displays it: 10^12 of the meter's unit is more than any register holds.
Read = Annotated[Decimal, Field(ge=0, le=READ_MAX), BeforeValidator(checked_decimal)]


class _Section(BaseModel):
    # Unknown keys are refused: a misspelt field must not be silently dropped.
    model_config = ConfigDict(extra="forbid", frozen=True)


class CampusSection(_Section):
    id: str = Field(pattern=ID_PATTERN, description="Campus id, used in URLs, cycle ids and file paths.")
    name: str = Field(min_length=1, max_length=200)
    legal_entity: str | None = Field(None, description="The legal entity that issues the invoices.")
    address: str | None = None
    time_zone: str = Field(description="IANA zone of the campus; billing months are local calendar months.")
    iso: IsoName = Field(description="The ISO/RTO the campus sits in.")
    settlement_point: str | None = Field(None, description="ISO zone, hub or node the campus settles at.")
    egrid_subregion: str | None = Field(None, description="EPA eGRID subregion; emissions need it.")
    csv_layout: str | None = Field(
        None, max_length=63, description="The CSV layout of meter files received without one named (the cycle's "
                                         "inbox, `meterdata receive`, uploads): SITE_EXPORT_V1 (the default) or a "
                                         "[[csv_layouts]] name.")


class Contact(_Section):
    name: str
    email: str | None = None
    phone: str | None = None
    role: str | None = Field(None, description="e.g. billing, technical, legal")


class TenantSection(_Section):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=200, description="Display name on pages and reports.")
    legal_name: str | None = Field(None, description="Name on the invoice; defaults to `name`.")
    billing_address: str | None = None
    remit_to: str | None = Field(None, description="Where payments go, printed on the invoice.")
    invoice_prefix: str | None = Field(None, pattern=r"^[A-Z0-9][A-Z0-9-]{0,15}$")
    contacts: list[Contact] = Field(default_factory=list)
    move_in: Day | None = Field(None, description="First local day billed; absent: occupied before any cycle.")
    move_out: Day | None = Field(None, description="First local day NOT billed; absent: still occupied.")


class DeviceSection(_Section):
    serial: str = Field(pattern=METER_ID_PATTERN, description="The physical meter's serial; files may name it.")
    multiplier: Positive = Field(Decimal(1), description="CT ratio x PT ratio of this device.")
    installed: Instant | None = Field(None, description="Instant (with offset) of the first reading.")
    removed: Instant | None = Field(None, description="Instant (with offset) after the final reading.")
    install_read: Read | None = Field(
        None, description="The register when installed, as the device shows it, in the meter's `unit` (default 0).")
    removal_read: Read | None = Field(
        None, description="The register when removed, as the device showed it, in the meter's `unit` (default: its "
                          "last reading). Needs `removed`.")


class MeterSection(_Section):
    id: str = Field(pattern=METER_ID_PATTERN, description="The metering point; data files name it or a device.")
    role: MeterRole
    unit: MeterUnit = Field(
        description="Unit of the meter's register (files may report power or energy units of the same kind).")
    interval_minutes: IntervalMinutes = 15
    tenant: str | None = Field(None, description="Required for tenant_consumption meters, refused for others.")
    multiplier: Positive = Field(Decimal(1), description="CT ratio x PT ratio when no devices are listed.")
    rated_kw: int | None = Field(None, gt=0, le=RATED_KW_MAX, description="Nameplate rating; VEE refuses readings above it.")
    channel: str = Field("main", description="The energy channel the meter's files carry.")
    carbon_free: bool = Field(False, description="For generation: a carbon-free source (solar, wind, ...).")
    fuel_type: str | None = Field(None, description="For generation and fuel meters: e.g. natural_gas.")
    iso_meter_id: str | None = Field(None, description="The ISO's id of this meter, for submissions.")
    parent: str | None = Field(None, description="The main meter this one is a sub-meter of.")
    generator: str | None = Field(None, description="For a fuel meter: the generation meter it feeds.")
    active_from: Instant | None = Field(None, description="Instant the point entered service.")
    active_to: Instant | None = Field(None, description="Instant the point left service.")
    devices: list[DeviceSection] = Field(default_factory=list,
                                         description="Devices over time, oldest first; an exchange adds one.")


class ContractVersionSection(_Section):
    effective_from: Day = Field(description="First local day this version prices (amendments add versions).")
    terms: dict[str, Any] = Field(default_factory=dict, description="The kind's terms (docs/campus-file.md).")
    urdb_file: str | None = Field(None, description="urdb_tariff: path of a URDB JSON file, relative to the "
                                                    "campus file; its rate is stored in the terms.")


class ContractSection(_Section):
    key: str = Field(pattern=CONTRACT_KEY_PATTERN)
    kind: Literal["fixed_price", "urdb_tariff", "ppa", "vppa", "allocation"]
    tenant: str | None = Field(None, description="The tenant billed; absent for campus-level contracts.")
    versions: list[ContractVersionSection] = Field(min_length=1)


class EsgTenantRate(_Section):
    tenant: str = Field(pattern=ID_PATTERN, description="The tenant whose grid supply this supplier rate covers.")
    rate: str = Field(min_length=1, max_length=200, description="Id of a `supplier` row of the market-rate library.")


class EsgSharedService(_Section):
    id: str = Field(pattern=CONTRACT_KEY_PATTERN, description="The event's id, named in the emissions inputs.")
    kind: Literal["refrigerant", "fuel"] = Field(description="A refrigerant leak or fuel burnt without delivering "
                                                             "energy (a backup generator's fuel in billing units).")
    substance: str = Field(min_length=1, max_length=100, description="EPA Table 11 gas (e.g. HFC-134a, SF6) or "
                                                                     "Table 1 fuel slug (e.g. "
                                                                     "distillate-fuel-oil-no-2).")
    quantity: Annotated[Decimal, Field(ge=0, le=MULTIPLIER_MAX), BeforeValidator(checked_decimal)]
    unit: str = Field(min_length=1, max_length=20, description="kg for a gas; gallon, scf, therm or MMBtu for fuel.")
    occurred_on: Day = Field(description="Local day of the leak or run; the cycle holding it counts it.")
    key_name: str = Field(min_length=1, max_length=100, description="What the key measures, e.g. contracted kW.")
    allocation_key: dict[str, Annotated[int, Field(ge=0, le=INT64_MAX)]] = Field(
        description="Tenant id -> weight; the tenants receive it as Scope 3 in this proportion.")
    tenant_scope3_category: Literal["cat1_purchased_services", "cat8_upstream_leased_assets"] = \
        "cat1_purchased_services"
    quality: Literal["measured", "estimated", "default"] = "measured"
    heating_value_basis: Literal["HHV", "LHV"] = "HHV"


class EsgSection(_Section):
    enabled: bool = Field(True, description="Compute emissions in each cycle (needs campus.egrid_subregion).")
    gwp_set: Literal["AR4", "AR5", "AR6"] = Field("AR5", description="IPCC GWP100 set for CH4 and N2O.")
    factor_edition: str | None = Field(None, max_length=50, description="Factor edition to use; absent: the one valid at the "
                                                         "period's midpoint. It must be valid at that midpoint.")
    supplier_rate: str | None = Field(None, max_length=200, description="Id of a `supplier` row of the market-rate library: the "
                                                        "campus's supplier-specific rate.")
    tenant_supplier_rates: list[EsgTenantRate] = Field(
        default_factory=list, description="Supplier rates that cover one tenant's grid supply only.")
    residual_mix: str | None = Field(None, max_length=200, description="Id of a `residual_mix` row of the market-rate library; "
                                                       "absent: the library's residual mix of the subregion "
                                                       "valid over the period, if any.")
    deliverable_zones: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=100, description="Registry zone names in the campus's market boundary (e.g. ERCOT).")
    heat_rate_mmbtu_per_mwh: dict[str, Positive] = Field(
        default_factory=dict, description="Generation meter id -> declared heat rate (MMBtu HHV per MWh), for a "
                                          "unit without a fuel meter (Scope 1 flagged estimated).")
    volume_metered_fuel_meters: list[Annotated[str, Field(pattern=METER_ID_PATTERN)]] = Field(
        default_factory=list, description="Fuel meters converted from scf at the default heat content.")
    scope3_td_loss_ratio: Literal["ggl_over_one_minus_ggl", "ggl"] = "ggl_over_one_minus_ggl"
    scope3_td_loss_factor_basis: Literal["location", "market"] = "location"
    scope3_upstream_electricity: Literal["exclude", "desnz_uk_proxy", "library"] = Field(
        "exclude", description="Upstream of purchased power (cat. 3 B): excluded, the UK proxy, or the "
                               "`grid_upstream` row of the market-rate library.")
    grid_upstream_rate: str | None = Field(None, max_length=200, description="Id of a `grid_upstream` row; absent with "
                                                             "`library`: the row of the subregion valid over "
                                                             "the period.")
    operator_resells_grid_power: bool = False
    shared_services: list[EsgSharedService] = Field(
        default_factory=list, description="Operator Scope 1 without delivered energy, passed to tenants as Scope 3.")
    shared_load: Literal["billed", "operator"] = Field(
        "billed", description="Emissions of shared consumption follow the MWh billed to tenants (`billed`) or "
                              "stay with the operator (`operator`).")


class IsoSubmissionSection(_Section):
    enabled: bool = Field(True, description="Submit metering data to the campus's ISO in each cycle.")
    duns: str | None = Field(None, pattern=r"^([0-9]{9}|[0-9]{13})$",
                             description="ERCOT: the sender's DUNS number, which LSE file names start with.")


class CampusFile(_Section):
    schema_version: Literal[1] = SCHEMA_VERSION
    campus: CampusSection
    tenants: list[TenantSection] = Field(default_factory=list)
    meters: list[MeterSection] = Field(min_length=1)
    contracts: list[ContractSection] = Field(default_factory=list)
    esg: EsgSection = EsgSection()
    iso_submission: IsoSubmissionSection = IsoSubmissionSection()
    # None rather than an empty list: a file without channels keeps the document (and sha256) it always had.
    market: MarketSection | None = Field(None, description="Shadow market participation: guardrails and programs "
                                         "(docs/market-participation.md).")
    channels: list[ChannelSection] | None = Field(None, description="Live meter channels read by "
                                                  "`wattledger connect run` (docs/connectors.md).")
    # None for the same reason as channels: a file without batteries keeps its document and sha256.
    storage: list[StorageSection] | None = Field(None, description="Batteries: meters, capacity, efficiency, "
                                                 "pool method, losses key and services (docs/storage.md).")
    # None for the same reason as channels: a file without layouts keeps its document and sha256.
    csv_layouts: list[CsvLayoutSection] | None = Field(None, description="Named CSV layouts of the campus's meter "
                                                       "exports, given when a file is received (docs/meter-data.md).")

"""Contract kinds, their JSON terms and typed terms (pure).

`fixed_price` (tenant set): the tenant's metered consumption, and its energy share of shared consumption when
no allocation contract covers that pool, at one price per MWh. Its versions are rows of the core table
`contract` (`FixedPriceContract`), written from the campus file's `fixed_price` contracts; a tenant with its own
`urdb_tariff` contract is billed under that instead.

The other kinds are rows of table `settlement_contract` (`ContractVersion`). Kinds and terms (decimals may be JSON numbers or strings; strings are recommended, they stay exact):
- `urdb_tariff` (tenant set): the tenant's metered load billed under a URDB rate.
  {"urdb": {...rate...}, "holidays": ["YYYY-MM-DD", ...], "holidays_as_weekend": true,
   "tier_fill": "shared"|"chronological", "loss_factor": "1.0",
   "true_up": {"month": 1-12, "net_surplus_rate_usd_per_kwh": "0.03"} (campus bill under Net Metering only)}
  With no tenant it is the campus's own utility bill on its grid import meters (export meters credited per the
  rate's `dgrules`); its cost reaches tenants only
  through an `allocation` contract with pool "grid_tariff".
- `ppa` (tenant = buyer; none = a campus cost shared through pool "ppa"): {"meter_ids": [...], "form": "fixed"|
  "tod"|"index", "price_usd_per_mwh", "first_delivery": "YYYY-MM-DD", "escalator_fraction_per_year",
  "tod_weekday"/"tod_weekend" (12x24), "tod_factors", "index": {"node", "market", "adder_usd_per_mwh",
  "multiplier", "floor_usd_per_mwh", "cap_usd_per_mwh"}, "take_or_pay_mwh_per_month"
  or "take_or_pay_mwh_per_contract_year" (annual, buyer tenant required), "shortfall_price_usd_per_mwh", "deemed_price_usd_per_mwh", "recs_bundled"}
- `vppa` (tenant = buyer): {"meter_ids": [...], "strike_usd_per_mwh", "node", "market",
  "settle_negative_prices": false}
- `allocation` (no tenant): {"pool": "shared_consumption"|"losses"|"turbine_fuel"|"grid_tariff"|"ppa",
  "method": "energy"|"capacity"|"coincident_peak"|"fixed", "capacity_kw": {tenant: kW}, "fixed_shares":
  {tenant: share}, "peak_count": 1 (the campus's own highest intervals), or "peak_intervals_utc": [ISO 8601, ...]
  (system peaks named by the ISO or utility, e.g. ERCOT 4CP), "price_usd_per_mwh" (energy pools), "fuel_price_usd_per_mmbtu"
  (turbine_fuel), "component": "all"|"energy"|"demand"|"fixed"|"export" (grid_tariff; "all" and "export" add
  an export credit line in MWh when the campus tariff credits export from the `export` meters)}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from common.bounds import checked_day, checked_decimal, number_problem
from common.errors import BadInput
from settlement.contracts.ppa import PpaTerms
from settlement.tariffs import UrdbTariff

KIND_FIXED_PRICE = "fixed_price"
KIND_TARIFF = "urdb_tariff"
KIND_PPA = "ppa"
KIND_VPPA = "vppa"
KIND_ALLOCATION = "allocation"
KINDS = (KIND_TARIFF, KIND_PPA, KIND_VPPA, KIND_ALLOCATION)
POOLS = ("shared_consumption", "losses", "turbine_fuel", "grid_tariff", "ppa")
COMPONENTS = ("all", "energy", "demand", "fixed", "export")
METHOD_ENERGY = "energy"
METHOD_CAPACITY = "capacity"
METHOD_COINCIDENT_PEAK = "coincident_peak"
METHOD_FIXED = "fixed"
METHODS = (METHOD_ENERGY, METHOD_CAPACITY, METHOD_COINCIDENT_PEAK, METHOD_FIXED)
# Clauses of fixed-price lines. They keep the names they were first recorded under: a line's clause is part of
# the recorded result's fingerprint and of the keys corrections are matched by.
CLAUSE_FIXED_PRICE_SUPPLY = "v0.supply_price"
CLAUSE_FIXED_PRICE_SHARED = "v0.shared_by_energy_share"


@dataclass(frozen=True)
class FixedPriceContract:
    """One version of a tenant's fixed price (core table `contract`); `contract_id` is the table row."""

    contract_id: int
    tenant_id: str
    version: int
    effective_from: date
    price_usd_per_mwh: Decimal


@dataclass(frozen=True)
class ContractVersion:
    """One stored version: `contract_version_id` is the table row; `terms` are the raw JSON terms."""

    contract_version_id: int
    contract_key: str
    version: int
    kind: str
    tenant_id: str | None
    effective_from: date
    terms: dict[str, Any]
    terms_sha256_hex: str


@dataclass(frozen=True)
class TrueUp:
    """Annual net-metering true-up of a campus utility bill: the local calendar `month` (1-12) that closes each
    true-up year (the 12 months ending with it), and the rate paid for the year's net surplus kWh."""

    month: int
    net_surplus_rate_usd_per_kwh: Decimal


@dataclass(frozen=True)
class TariffTerms:
    tariff: UrdbTariff
    holidays: frozenset[date]
    holidays_as_weekend: bool
    tier_fill: str
    loss_factor: Decimal
    true_up: TrueUp | None = None


@dataclass(frozen=True)
class PpaContractTerms:
    meter_ids: tuple[str, ...]
    ppa: PpaTerms


@dataclass(frozen=True)
class VppaTerms:
    meter_ids: tuple[str, ...]
    strike_usd_per_mwh: Decimal
    node: str
    market: str
    settle_negative_prices: bool


@dataclass(frozen=True)
class AllocationTerms:
    pool: str
    method: str
    capacity_kw: dict[str, Decimal]
    fixed_shares: dict[str, Decimal]
    peak_count: int
    price_usd_per_mwh: Decimal | None
    fuel_price_usd_per_mmbtu: Decimal | None
    component: str
    peak_intervals_utc: tuple[datetime, ...] = ()


class TermsReader:
    """Typed access to one contract's terms; every error names the contract version and the field."""

    def __init__(self, source: str, terms: dict[str, Any]) -> None:
        self.source = source
        self.terms = terms

    def fail(self, field: str, reason: str) -> BadInput:
        return BadInput(self.source, None, field, reason)

    def decimal(self, field: str, default: Decimal | None = None, within: dict[str, Any] | None = None
                ) -> Decimal | None:
        value = (self.terms if within is None else within).get(field)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            raise self.fail(field, f"{value!r} is not a number")
        try:
            number = checked_decimal(value)  # finite, ASCII digits, bounded (common.bounds)
        except ValueError as error:
            raise self.fail(field, str(error)) from error
        if field.endswith("_usd_per_mwh") and number != number.quantize(Decimal("0.000001"), rounding=ROUND_DOWN):
            # Rates are stored as numeric(18,6); a finer price would print a rate that does not give the amount.
            raise self.fail(field, f"{value!r} has more than 6 decimal places")
        return number

    def required_decimal(self, field: str, within: dict[str, Any] | None = None) -> Decimal:
        value = self.decimal(field, None, within)
        if value is None:
            raise self.fail(field, "required")
        return value

    def choice(self, field: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = self.terms.get(field, default)
        if value not in allowed:
            raise self.fail(field, f"{value!r} is not one of {allowed}")
        return str(value)

    def day(self, field: str, value: Any) -> date:
        try:
            day = date.fromisoformat(str(value))
        except ValueError as error:
            raise self.fail(field, f"{value!r} is not YYYY-MM-DD") from error
        try:
            return checked_day(day)
        except ValueError as error:
            raise self.fail(field, str(error)) from error

    def meter_ids(self) -> tuple[str, ...]:
        values = self.terms.get("meter_ids")
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise self.fail("meter_ids", "expected a non-empty list of meter ids")
        return tuple(values)

    def decimal_map(self, field: str) -> dict[str, Decimal]:
        values = self.terms.get(field) or {}
        if not isinstance(values, dict):
            raise self.fail(field, "expected an object of tenant -> number")
        return {str(key): self.required_decimal(str(key), values) for key in values}


def check_term_numbers(source: str, terms: Any, path: str = "") -> None:
    """Every number anywhere in the terms is finite and bounded (common.bounds), so the terms can be hashed and
    stored exactly: NaN, an infinity (JSON 1e309) or a 400-digit integer is refused naming its field."""
    if isinstance(terms, dict):
        for key, item in terms.items():
            check_term_numbers(source, item, f"{path}.{key}" if path else str(key))
    elif isinstance(terms, list):
        for index, item in enumerate(terms):
            check_term_numbers(source, item, f"{path}[{index}]")
    else:
        problem = number_problem(terms)
        if problem is not None:
            raise BadInput(source, None, path or None, problem)

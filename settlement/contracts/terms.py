"""Parse each contract kind's JSON terms into typed terms (see `settlement.contracts.kinds` for the shapes)."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from settlement.contracts.kinds import (
    COMPONENTS,
    METHODS,
    POOLS,
    AllocationTerms,
    ContractVersion,
    PpaContractTerms,
    TariffTerms,
    TermsReader,
    TrueUp,
    VppaTerms,
)
from settlement.contracts.ppa import FORM_FIXED, FORM_INDEX, FORM_TOD, IndexTerms, PpaTerms
from settlement.tariffs import (
    METERING_NET_METERING,
    TIER_FILL_CHRONOLOGICAL,
    TIER_FILL_SHARED,
    UrdbTariff,
    parse_urdb_rate,
)


def source_of(contract: ContractVersion) -> str:
    return f"contract {contract.contract_key} v{contract.version}"


def tariff_terms(contract: ContractVersion) -> TariffTerms:
    """Parsed terms, cached by the terms' content hash (identical terms parse to identical results)."""
    terms = _tariff_terms_cached(contract.terms_sha256_hex, _FrozenContract(contract))
    if terms.true_up is not None and contract.tenant_id is not None:
        # Checked outside the cache: the cache key is the terms alone, not who the contract is for.
        raise TermsReader(source_of(contract), contract.terms).fail(
            "true_up", "a true-up reconciles the campus utility bill (a contract without a tenant)")
    return terms


class _FrozenContract:
    """Carries a contract into the cache without hashing its dict of terms (the content hash is the key)."""

    def __init__(self, contract: ContractVersion) -> None:
        self.contract = contract

    def __hash__(self) -> int:
        return hash(self.contract.terms_sha256_hex)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _FrozenContract) and \
            other.contract.terms_sha256_hex == self.contract.terms_sha256_hex


@functools.lru_cache(maxsize=256)
def _tariff_terms_cached(terms_sha256_hex: str, frozen: _FrozenContract) -> TariffTerms:
    contract = frozen.contract
    reader = TermsReader(source_of(contract), contract.terms)
    rate = contract.terms.get("urdb")
    if not isinstance(rate, dict):
        raise reader.fail("urdb", "expected the URDB rate object")
    # Re-read the rate with exact decimals: JSON from the database arrives with floats already parsed.
    rate_exact = _exact(rate)
    holidays = contract.terms.get("holidays") or []
    if not isinstance(holidays, list):
        raise reader.fail("holidays", "expected a list of dates")
    loss_factor = reader.decimal("loss_factor", Decimal(1))
    assert loss_factor is not None
    if loss_factor <= 0:
        raise reader.fail("loss_factor", "must be positive")
    tariff = parse_urdb_rate(reader.source, rate_exact)
    return TariffTerms(
        tariff=tariff,
        holidays=frozenset(reader.day("holidays", value) for value in holidays),
        holidays_as_weekend=bool(contract.terms.get("holidays_as_weekend", True)),
        tier_fill=reader.choice("tier_fill", (TIER_FILL_SHARED, TIER_FILL_CHRONOLOGICAL), TIER_FILL_SHARED),
        loss_factor=loss_factor,
        true_up=_true_up(reader, contract, tariff),
    )


def _true_up(reader: TermsReader, contract: ContractVersion, tariff: UrdbTariff) -> TrueUp | None:
    """The optional annual true-up: under Net Metering only, since only there is monthly excess credited that a
    year can reconcile (and on the campus bill only: `tariff_terms` checks the tenant)."""
    raw = contract.terms.get("true_up")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise reader.fail("true_up", "expected {month, net_surplus_rate_usd_per_kwh}")
    month = raw.get("month")
    if not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12:
        raise reader.fail("true_up.month", f"{month!r} is not a month number 1-12")
    rate = reader.required_decimal("net_surplus_rate_usd_per_kwh", raw)
    if rate < 0:
        raise reader.fail("true_up.net_surplus_rate_usd_per_kwh", "must not be negative")
    if tariff.metering != METERING_NET_METERING:
        raise reader.fail("true_up", "the rate's dgrules is not Net Metering: there is no net excess to true up")
    return TrueUp(month, rate)


def _exact(value: Any) -> Any:
    """Floats -> Decimal via their shortest repr (what the JSON text said), recursively."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, list):
        return [_exact(item) for item in value]
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items()}
    return value


def ppa_terms(contract: ContractVersion) -> PpaContractTerms:
    reader = TermsReader(source_of(contract), contract.terms)
    form = reader.choice("form", (FORM_FIXED, FORM_TOD, FORM_INDEX))
    index = None
    if form == FORM_INDEX:
        raw = contract.terms.get("index")
        if not isinstance(raw, dict) or not raw.get("node") or not raw.get("market"):
            raise reader.fail("index", "expected {node, market, ...}")
        index = IndexTerms(str(raw["node"]), str(raw["market"]), reader.decimal("adder_usd_per_mwh", Decimal(0), raw)
                           or Decimal(0), reader.decimal("multiplier", Decimal(1), raw) or Decimal(0),
                           reader.decimal("floor_usd_per_mwh", None, raw), reader.decimal("cap_usd_per_mwh", None, raw))
    price = reader.required_decimal("price_usd_per_mwh") if form != FORM_INDEX else Decimal(0)
    first = contract.terms.get("first_delivery")
    terms = PpaTerms(
        form=form, price_usd_per_mwh=price,
        first_delivery=reader.day("first_delivery", first) if first else contract.effective_from,
        escalator_fraction_per_year=reader.decimal("escalator_fraction_per_year", Decimal(0)) or Decimal(0),
        tod_weekday=_schedule(reader, "tod_weekday", form == FORM_TOD),
        tod_weekend=_schedule(reader, "tod_weekend", form == FORM_TOD),
        tod_factors=tuple(reader.required_decimal(str(i), {str(i): v})
                          for i, v in enumerate(contract.terms.get("tod_factors") or [])),
        index=index,
        take_or_pay_mwh_per_month=reader.decimal("take_or_pay_mwh_per_month"),
        take_or_pay_mwh_per_contract_year=reader.decimal("take_or_pay_mwh_per_contract_year"),
        shortfall_price_usd_per_mwh=reader.decimal("shortfall_price_usd_per_mwh"),
        deemed_price_usd_per_mwh=reader.decimal("deemed_price_usd_per_mwh"),
        recs_bundled=bool(contract.terms.get("recs_bundled", False)),
    )
    if not -1 < terms.escalator_fraction_per_year < 1:
        raise reader.fail("escalator_fraction_per_year", "must be a fraction per year between -1 and 1 (0.025 is 2.5%)")
    _check_annual_minimum(reader, contract, terms)
    if form == FORM_TOD:
        used = {p for row in terms.tod_weekday + terms.tod_weekend for p in row}
        if not used or max(used) >= len(terms.tod_factors) or min(used) < 0:
            raise reader.fail("tod_factors", "every period in the TOD schedules needs a factor")
    return PpaContractTerms(reader.meter_ids(), terms)


def _check_annual_minimum(reader: TermsReader, contract: ContractVersion, terms: PpaTerms) -> None:
    """An annual minimum is reconciled on the buyer's own lines, in place of (not beside) a monthly one."""
    field = "take_or_pay_mwh_per_contract_year"
    annual = terms.take_or_pay_mwh_per_contract_year
    if annual is None:
        return
    if annual < 0:
        raise reader.fail(field, "must not be negative")
    if terms.take_or_pay_mwh_per_month is not None:
        raise reader.fail(field, "give a monthly or an annual take-or-pay minimum, not both")
    if contract.tenant_id is None:
        raise reader.fail(field, "an annual minimum needs a buyer tenant (a campus-bought PPA has none)")
    if terms.form == FORM_INDEX and terms.shortfall_price_usd_per_mwh is None:
        raise reader.fail("shortfall_price_usd_per_mwh", "an index-priced PPA with an annual minimum must name it")


def _schedule(reader: TermsReader, field: str, required: bool) -> tuple[tuple[int, ...], ...]:
    rows = reader.terms.get(field)
    if rows is None and not required:
        return ()
    if not isinstance(rows, list) or len(rows) != 12 or any(not isinstance(r, list) or len(r) != 24 for r in rows):
        raise reader.fail(field, "expected 12 rows of 24 period indexes")
    if any(not isinstance(v, int) or isinstance(v, bool) for r in rows for v in r):
        raise reader.fail(field, "period indexes must be integers")
    return tuple(tuple(row) for row in rows)


def vppa_terms(contract: ContractVersion) -> VppaTerms:
    reader = TermsReader(source_of(contract), contract.terms)
    node, market = contract.terms.get("node"), contract.terms.get("market")
    if not isinstance(node, str) or not isinstance(market, str):
        raise reader.fail("node", "node and market are required strings")
    return VppaTerms(reader.meter_ids(), reader.required_decimal("strike_usd_per_mwh"), node, market,
                     bool(contract.terms.get("settle_negative_prices", False)))


def allocation_terms(contract: ContractVersion) -> AllocationTerms:
    reader = TermsReader(source_of(contract), contract.terms)
    peak_count = contract.terms.get("peak_count", 1)
    if not isinstance(peak_count, int) or isinstance(peak_count, bool) or peak_count < 1:
        raise reader.fail("peak_count", "expected a positive integer")
    terms = AllocationTerms(
        pool=reader.choice("pool", POOLS), method=reader.choice("method", METHODS),
        capacity_kw=reader.decimal_map("capacity_kw"), fixed_shares=reader.decimal_map("fixed_shares"),
        peak_count=peak_count, price_usd_per_mwh=reader.decimal("price_usd_per_mwh"),
        fuel_price_usd_per_mmbtu=reader.decimal("fuel_price_usd_per_mmbtu"),
        component=reader.choice("component", COMPONENTS, "all"),
        peak_intervals_utc=_instants(reader, "peak_intervals_utc"),
    )
    if terms.pool == "turbine_fuel" and terms.fuel_price_usd_per_mmbtu is None:
        raise reader.fail("fuel_price_usd_per_mmbtu", "required for the turbine_fuel pool")
    return terms


def _instants(reader: TermsReader, field: str) -> tuple[datetime, ...]:
    values = reader.terms.get(field) or []
    if not isinstance(values, list):
        raise reader.fail(field, "expected a list of ISO 8601 instants")
    instants: list[datetime] = []
    for value in values:
        try:
            instant = datetime.fromisoformat(str(value))
        except ValueError as error:
            raise reader.fail(field, f"{value!r} is not ISO 8601") from error
        if instant.tzinfo is None:
            raise reader.fail(field, f"{value!r} has no UTC offset")
        instants.append(instant.astimezone(UTC))
    return tuple(instants)

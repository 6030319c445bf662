"""The campus file's `[market]` section: the guardrails and programs of shadow market participation
(docs/market-participation.md). Versioned with the campus file: a cycle's shadow run uses the rules of the campus
version it settled with, and names `rules_version`.

Tenants not listed are firm in full: nothing of theirs is ever curtailed without a `[[market.tenants]]` entry that
the tenant consented to (`consent_reference`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from common.bounds import Instant, checked_decimal

KW_MAX = 10_000_000  # 10 GW
PRICE_MAX = Decimal(1_000_000)  # USD per MWh or per kW-year; far above any market cap
METER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"

Kw = Annotated[int, Field(ge=0, le=KW_MAX)]
Minutes = Annotated[int, Field(ge=0, le=7 * 24 * 60)]
Usd = Annotated[Decimal, Field(ge=0, le=PRICE_MAX), BeforeValidator(checked_decimal)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MarketTenant(_Section):
    tenant: str = Field(pattern=ID_PATTERN)
    firm_kw: Kw = Field(description="Never curtailed (R-FIRM).")
    interruptible_kw: Kw = Field(0, description="Curtailable above the firm kW, with the tenant's consent.")
    consent_reference: str | None = Field(None, max_length=200,
                                          description="The contract clause or letter giving consent; required when "
                                                      "interruptible_kw > 0.")
    curtailment_priority: int = Field(0, ge=0, le=1000, description="Lower is curtailed first.")
    credit_usd_per_mwh: Usd = Field(Decimal(0), description="Paid to the tenant per interrupted MWh.")
    interruptions_per_day_max: int = Field(1, ge=0, le=96)

    @model_validator(mode="after")
    def _consent(self) -> Self:
        if self.interruptible_kw > 0 and not self.consent_reference:
            raise ValueError("interruptible_kw needs consent_reference: no tenant is curtailed without consent")
        return self


class MarketGenerator(_Section):
    meter: str = Field(pattern=METER_ID_PATTERN, description="The unit's generation meter (its output per interval).")
    pmin_kw: Kw
    pmax_kw: Kw
    ramp_kw_per_minute: Kw = Field(KW_MAX)
    start_minutes: Minutes = 0
    up_minutes_min: Minutes = 0
    start_cost_usd: Usd = Decimal(0)
    fuel_usd_per_mwh: Usd = Field(Decimal(0), description="Marginal cost: heat rate x fuel price + VOM.")
    emergency_only: bool = Field(False, description="An emergency engine (40 CFR 63.6640(f)): never dispatched "
                                                    "for economic response or income (R-RICE).")
    co2e_g_per_kwh: int = Field(0, ge=0, le=5_000)

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.pmin_kw > self.pmax_kw:
            raise ValueError(f"pmin_kw {self.pmin_kw} is above pmax_kw {self.pmax_kw}")
        return self


class MarketSection(_Section):
    rules_version: str = Field(min_length=1, max_length=100, description="Named in every shadow result.")
    node: str | None = Field(None, max_length=100, description="Price node; absent: campus.settlement_point.")
    price_market: str = Field("RT", min_length=1, max_length=20,
                              description="The market label of the prices loaded for the node (`RT`, `RT5`, ...).")
    notice_minutes: Minutes = Field(30, description="Warning an ISO dispatch gives (ramps and starts must fit).")
    reserve_kw_min: Kw = Field(0, description="Online headroom kept at all times (R-RESERVE).")
    emissions_t_per_year_max: Usd | None = Field(None, description="Permit cap in t CO2e a year (R-EMISSIONS).")
    emissions_t_year_to_date: Usd = Decimal(0)
    hurdle_usd: Usd = Field(Decimal(0), description="Least net value worth acting for (R-ECON).")
    dr_program: Literal["none", "pjm_economic"] = "none"
    dr_threshold_usd_per_mwh: Usd | None = Field(None, description="PJM's Net Benefits Test price of the month.")
    coincident_peak_method: Literal["none", "ercot_4cp"] = "none"
    coincident_peak_starts_utc: list[Instant] = Field(default_factory=list, max_length=12,
                                                      description="Start of each system peak interval (ERCOT "
                                                                  "NP9-83-M), with an offset.")
    transmission_rate_usd_per_kw_year: Usd = Decimal(0)
    demand_rate_usd_per_kw: Usd | None = Field(None, description="Demand charge a battery's peak shaving avoids "
                                                                 "(USD per kW of the period's peak); absent: 0.")
    storage_cycles_per_day_max: int | None = Field(None, ge=1, le=24, description="Full cycles of a battery's "
                                                                                  "market range a day (R-CYCLES); "
                                                                                  "absent: 1.")
    tenants: list[MarketTenant] = Field(default_factory=list)
    generators: list[MarketGenerator] = Field(default_factory=list)

    @model_validator(mode="after")
    def _programs(self) -> Self:
        if self.dr_program != "none" and self.dr_threshold_usd_per_mwh is None:
            raise ValueError("dr_program needs dr_threshold_usd_per_mwh")
        if self.coincident_peak_method != "none" and self.transmission_rate_usd_per_kw_year <= 0:
            raise ValueError("coincident_peak_method needs transmission_rate_usd_per_kw_year")
        return self


def market_problems(document: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Cross-section checks: listed tenants exist (each once) and each generator is a generation meter (once)."""
    market = document.get("market")
    if not market:
        return []
    problems: list[tuple[tuple[str | int, ...], str]] = []
    tenants = {tenant["id"] for tenant in document.get("tenants", [])}
    roles = {meter["id"]: meter["role"] for meter in document["meters"]}
    seen: set[str] = set()
    for index, tenant in enumerate(market.get("tenants") or []):
        where = ("market", "tenants", index, "tenant")
        if tenant["tenant"] not in tenants:
            problems.append((where, f"unknown tenant {tenant['tenant']!r}"))
        elif tenant["tenant"] in seen:
            problems.append((where, f"{tenant['tenant']!r} appears twice"))
        seen.add(tenant["tenant"])
    for index, generator in enumerate(market.get("generators") or []):
        where = ("market", "generators", index, "meter")
        if roles.get(generator["meter"]) != "generation":
            problems.append((where, f"{generator['meter']!r} is not a generation meter of the file"))
        elif generator["meter"] in seen:
            problems.append((where, f"{generator['meter']!r} appears twice"))
        seen.add(generator["meter"])
    return problems

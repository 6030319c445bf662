"""The chart of accounts: every asset code, every account path and each account's normal side.

Every package that posts builds its paths here, so one account has one spelling. Paths and asset codes
are inside the hashed bytes of every entry: a spelling, once posted, never changes (docs/ledger-spec.md).
Ids (campus, tenant, ISO, charge type, reason) are single path segments: [A-Za-z0-9_.-], no ':'.

Normal side: where the account's balance usually sits. It is fixed per account, never read from a leg's
sign, because a later correction may post the other way. Supply, revenue and the campus's sources of
emissions are credit-normal; receivables, every use of energy and every carrier of emissions are
debit-normal, and so is the contra-revenue of credit notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.model import AccountSpec
from ledger.posting_rules import NormalSide

# Scales are fixed forever: USD/6 = micro-dollars, MWH/6 = Wh, TCO2E/6 = grams CO2e.
ASSET_USD = "USD/6"
ASSET_ENERGY = "MWH/6"
ASSET_CARBON = "TCO2E/6"
ASSET_SHADOW_USD = "USD_SHADOW/6"
"""Micro-dollars of shadow market value: a memo asset, never billed, never netted against USD/6."""
ASSET_SCALES: dict[str, tuple[int, str]] = {
    ASSET_USD: (6, "money"),
    ASSET_ENERGY: (6, "energy"),
    ASSET_CARBON: (6, "carbon"),
    ASSET_SHADOW_USD: (6, "memo"),
}


@dataclass(frozen=True)
class ChartAccount:
    """One account of the chart: its path template ({name} = one path segment), asset and normal side."""

    template: str
    asset_code: str
    normal_side: NormalSide
    meaning: str


CHART: tuple[ChartAccount, ...] = (
    ChartAccount("tenant:{tenant}:receivable", ASSET_USD, "debit", "what the tenant owes: invoices less credit notes"),
    ChartAccount("tenant:{tenant}:energy:consumption", ASSET_ENERGY, "debit", "energy the tenant's meters used"),
    ChartAccount("tenant:{tenant}:emissions", ASSET_CARBON, "debit", "the tenant's location-based Scope 2"),
    ChartAccount("tenant:{tenant}:emissions:scope3_cat3", ASSET_CARBON, "debit", "the tenant's Scope 3 cat. 3"),
    ChartAccount("tenant:{tenant}:emissions:scope3_shared_services", ASSET_CARBON, "debit",
                 "the tenant's share of shared services' emissions"),
    ChartAccount("tenant:{tenant}:emissions:scope2_market", ASSET_CARBON, "debit",
                 "the tenant's market-based Scope 2 (a second view of the same energy)"),
    ChartAccount("campus:{campus}:energy:generation", ASSET_ENERGY, "credit", "on-site generation (supply)"),
    ChartAccount("campus:{campus}:energy:grid_import", ASSET_ENERGY, "credit", "energy bought from the grid (supply)"),
    ChartAccount("campus:{campus}:energy:export", ASSET_ENERGY, "debit", "energy sold to the grid"),
    ChartAccount("campus:{campus}:energy:shared_consumption", ASSET_ENERGY, "debit", "shared services' use"),
    ChartAccount("campus:{campus}:energy:losses", ASSET_ENERGY, "debit", "what the meters do not account for"),
    ChartAccount("campus:{campus}:energy:storage_charge", ASSET_ENERGY, "debit", "energy into batteries (a use)"),
    ChartAccount("campus:{campus}:energy:storage_discharge", ASSET_ENERGY, "credit",
                 "energy out of batteries into the campus (supply)"),
    ChartAccount("campus:{campus}:revenue:energy", ASSET_USD, "credit", "energy invoiced to tenants"),
    ChartAccount("campus:{campus}:revenue:rounding", ASSET_USD, "credit", "settled micro-USD rounded to cents"),
    ChartAccount("campus:{campus}:revenue:credit_notes", ASSET_USD, "debit", "contra revenue of credit notes"),
    ChartAccount("campus:{campus}:emissions:scope1", ASSET_CARBON, "credit", "on-site combustion"),
    ChartAccount("campus:{campus}:emissions:scope2", ASSET_CARBON, "credit", "location-based grid emissions"),
    ChartAccount("campus:{campus}:emissions:scope3_cat3", ASSET_CARBON, "credit", "fuel- and energy-related"),
    ChartAccount("campus:{campus}:emissions:scope1_shared_services", ASSET_CARBON, "credit",
                 "combustion serving shared services"),
    ChartAccount("campus:{campus}:emissions:scope2_market", ASSET_CARBON, "credit",
                 "market-based view: on-site generation plus market-based grid emissions"),
    ChartAccount("campus:{campus}:emissions:retained:{reason}:scope2_market", ASSET_CARBON, "debit",
                 "market-based Scope 2 that stays with the operator"),
    ChartAccount("campus:{campus}:emissions:retained:{reason}", ASSET_CARBON, "debit",
                 "Scope 2 that stays with the operator (exports, hours without consumption, ...)"),
    ChartAccount("campus:{campus}:emissions:retained:{reason}:scope3_cat3", ASSET_CARBON, "debit",
                 "Scope 3 cat. 3 that stays with the operator"),
    ChartAccount("campus:{campus}:emissions:retained:{reason}:shared_services", ASSET_CARBON, "debit",
                 "shared services' emissions that stay with the operator"),
    ChartAccount("tenant:{tenant}:certificates:retired", ASSET_ENERGY, "debit",
                 "certificate Wh retired for the tenant (market-based Scope 2 claims)"),
    ChartAccount("campus:{campus}:certificates:retired", ASSET_ENERGY, "debit",
                 "certificate Wh retired for the operator's own load"),
    ChartAccount("campus:{campus}:certificates:claimed", ASSET_ENERGY, "credit",
                 "certificate Wh the campus drew from registry lots"),
    ChartAccount("campus:{campus}:iso:{iso}:receivable", ASSET_USD, "debit",
                 "what the ISO owes beyond what our own settlement booked"),
    ChartAccount("campus:{campus}:iso:{iso}:variance:{charge_type}", ASSET_USD, "credit",
                 "the ISO's statement against our shadow settlement, per charge type"),
    ChartAccount("campus:{campus}:shadow:{program}", ASSET_SHADOW_USD, "credit",
                 "what a shadow market program would have netted (memo: never billed)"),
    ChartAccount("campus:{campus}:shadow:forgone", ASSET_SHADOW_USD, "debit",
                 "the shadow programs' net value the campus did not take (memo: never billed)"),
)
_PLACEHOLDER = re.compile(r"\\\{[a-z_]+\\\}")
_PATTERNS = tuple(
    (re.compile("^" + _PLACEHOLDER.sub("[^:]+", re.escape(account.template)) + "$"), account) for account in CHART
)


class UnknownAccount(ValueError):
    """A path that matches no account of the chart."""

    def __init__(self, path: str) -> None:
        super().__init__(f"account {path!r} is not in the chart of accounts (ledger/accounts.py)")


def chart_account(path: str) -> ChartAccount:
    for pattern, account in _PATTERNS:
        if pattern.match(path):
            return account
    raise UnknownAccount(path)


def normal_side(path: str) -> NormalSide:
    return chart_account(path).normal_side


def account_spec(path: str, asset_code: str) -> AccountSpec:
    """The spec to open `path` with: its normal side from the chart."""
    return AccountSpec(path, asset_code, normal_side(path))


# Tenants.
def tenant_prefix(tenant_id: str) -> str:
    """The prefix every account of the tenant starts with."""
    return f"tenant:{tenant_id}:"


def tenant_receivable(tenant_id: str) -> str:
    return f"tenant:{tenant_id}:receivable"


def tenant_energy_consumption(tenant_id: str) -> str:
    return f"tenant:{tenant_id}:energy:consumption"


def tenant_emissions(tenant_id: str, part: str = "") -> str:
    """`part` "" (location-based Scope 2), "scope2_market", "scope3_cat3" or "scope3_shared_services"."""
    return f"tenant:{tenant_id}:emissions" + (f":{part}" if part else "")


# The campus.
def campus_shadow(campus_id: str, program: str) -> str:
    """`program` a shadow participation program (export, economic_dr, coincident_peak) or "forgone"."""
    return f"campus:{campus_id}:shadow:{program}"


def campus_energy(campus_id: str, role: str) -> str:
    """`role` generation, grid_import, export, shared_consumption or losses."""
    return f"campus:{campus_id}:energy:{role}"


def campus_revenue(campus_id: str, stream: str) -> str:
    """`stream` energy, rounding or credit_notes."""
    return f"campus:{campus_id}:revenue:{stream}"


def campus_emissions(campus_id: str, source: str) -> str:
    """`source` scope1, scope2, scope2_market, scope3_cat3 or scope1_shared_services."""
    return f"campus:{campus_id}:emissions:{source}"


def campus_emissions_retained(campus_id: str, reason: str, part: str = "") -> str:
    """`part` "" (Scope 2), "scope2_market", "scope3_cat3" or "shared_services"."""
    return f"campus:{campus_id}:emissions:retained:{reason}" + (f":{part}" if part else "")


# Energy attribute certificates: Wh drawn from registry lots and whom they were retired for.
def certificates_retired(campus_id: str, beneficiary: str) -> str:
    """`beneficiary` "campus" or "tenant:<id>", as a certificate claim names it."""
    if beneficiary == "campus":
        return f"campus:{campus_id}:certificates:retired"
    return f"tenant:{beneficiary.removeprefix('tenant:')}:certificates:retired"


def certificates_claimed(campus_id: str) -> str:
    return f"campus:{campus_id}:certificates:claimed"


# The campus's position with its ISO (shadow settlement).
def iso_receivable(campus_id: str, iso: str) -> str:
    return f"campus:{campus_id}:iso:{iso.lower()}:receivable"


def iso_variance(campus_id: str, iso: str, charge_type: str) -> str:
    return f"campus:{campus_id}:iso:{iso.lower()}:variance:{charge_type.lower()}"

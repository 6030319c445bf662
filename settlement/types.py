"""Result types of a settlement: lines a tenant is billed, the campus energy balance, and the whole result.

Money is integer micro-USD; energy is integer Wh; a rate is an exact Decimal in USD/MWh (for lines whose unit is
not energy, `rate_usd_per_mwh` holds the rate in the line's own unit, named in `unit`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from settlement.storage_pool import Pool


@dataclass(frozen=True)
class SettlementLine:
    """One billed line: `amount_usd_micros` = quantity x rate, rounded once (ROUND_HALF_EVEN) to micro-USD; the
    lines of one split energy pool are rounded together instead (the pool's amount rounded once, apportioned by
    largest remainder), so each is within one micro-USD of quantity x rate and together they make the pool.

    `unit` is "MWh" for energy lines (quantity in Wh, rate in USD/MWh); "kW-month" for demand lines
    (quantity in W, rate in USD/kW); "month" for fixed charges (quantity = 1, rate in USD). `clause` names
    the contract term that produced the line; `contract_id` points at a fixed-price version (core table
    `contract`), `contract_version_id` at any other contract version (table `settlement_contract`);
    `inputs_sha256_hex` hashes the inputs it came from (interval file, price file, contract version) so it can be
    recomputed later.
    """

    line_no: int
    tenant_id: str
    description: str
    clause: str
    quantity_wh: int
    unit: str
    rate_usd_per_mwh: Decimal
    amount_usd_micros: int
    contract_id: int | None
    inputs_sha256_hex: str
    contract_version_id: int | None = None  # settlement_contract row; fixed-price lines use contract_id


@dataclass(frozen=True)
class EnergyBalance:
    """Campus energy over the period, Wh. `losses_wh` is the residual, so the balance closes by construction:

    generation + grid_import + storage_discharge
        - export - tenant_consumption - shared_consumption - storage_charge - losses == 0.

    Batteries' own round-trip losses are inside `storage_charge - storage_discharge` together with the change in
    stored energy (docs/storage.md).
    """

    generation_wh: int
    grid_import_wh: int
    export_wh: int
    tenant_consumption_wh: int
    shared_consumption_wh: int
    losses_wh: int
    storage_charge_wh: int = 0
    storage_discharge_wh: int = 0


@dataclass(frozen=True)
class SettlementResult:
    """Everything a cycle needs from settlement: lines, balance, per-tenant totals and the inputs used."""

    lines: list[SettlementLine]
    energy_balance: EnergyBalance
    tenant_totals_usd_micros: dict[str, int]
    contract_versions: dict[str, int]
    intervals_sha256_hex: str
    price_sha256_hex: dict[str, str] = field(default_factory=dict)
    storage_pools: dict[str, Pool] = field(default_factory=dict)
    """Each priced battery's closing charging-source pool (docs/storage.md): kept with the recorded settlement for
    the next period; not part of the result's fingerprint (the lines drawn from it are)."""
    storage_figures: dict[str, dict[str, int]] = field(default_factory=dict)
    """Each priced battery's period in Wh and micro-USD (`settlement.storage_hours.storage_figures`): what it
    discharged, what the export took and its cost (the campus's, billed to no tenant), the discharge no metered use
    took, the charge no metered source supplied; recorded with the settle step, not part of the fingerprint."""


def tenant_totals(lines: Sequence[SettlementLine]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.tenant_id] = totals.get(line.tenant_id, 0) + line.amount_usd_micros
    return dict(sorted(totals.items()))


def with_lines_after_each_tenant(result: SettlementResult, extra: Sequence[SettlementLine]) -> SettlementResult:
    """`result` with `extra` lines (annual reconciliations) after each tenant's existing lines, all numbered from 1
    again, and the tenant totals summed anew."""
    keyed = [(line.tenant_id, 0, index, line) for index, line in enumerate(result.lines)]
    keyed += [(line.tenant_id, 1, index, line) for index, line in enumerate(extra)]
    keyed.sort(key=lambda item: item[:3])
    lines = [replace(line, line_no=line_no) for line_no, (*_, line) in enumerate(keyed, start=1)]
    return replace(result, lines=lines, tenant_totals_usd_micros=tenant_totals(lines))

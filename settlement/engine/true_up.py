"""Annual net-metering true-up of the campus utility bill (pure).

Under Net Metering the campus bill credits each month's net excess (per TOU period, export over import) at the
rate's `sell` price in that same month (`settlement.tariffs.export_credit`). A campus `urdb_tariff` contract with
`true_up = {month, net_surplus_rate_usd_per_kwh}` reconciles those credits once a year, in the period holding the
last local day of the true-up month, over the true-up year (the 12 local calendar months ending with it):

- net surplus Wh = max(0, export - grid import) over the year: the excess that never offset an import;
- that surplus was credited monthly at `sell`; at the true-up it is paid at the net surplus rate instead. The
  reconciliation is surplus / credited Wh x the year's credits (taken back, a charge) minus surplus x the net
  surplus rate (paid, a credit), exact, rounded once (ROUND_HALF_EVEN) to micro-USD;
- it is posted as its own line per tenant, clause `allocation.grid_tariff.true_up`, split like the bill's export
  credit: by the weights of the `grid_tariff` allocation (component `all` or `export`) with largest remainder,
  the surplus Wh and the amount each adding up to the campus figure.

The year's figures are what earlier periods recorded (`NetMeteringYear`: run balances and export credit lines,
read by the service) plus this period's. The monthly credits are valued in dollars at each month's `sell`
price, so the excess that offsets later imports keeps that value: an approximation of carrying kWh from month to
month, which needs the year's months billed together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from settlement.allocation import assert_conserved
from settlement.contracts import (
    KIND_ALLOCATION,
    KIND_TARIFF,
    ContractVersion,
    TrueUp,
    allocation_terms,
    tariff_terms,
)
from settlement.engine.allocation_methods import allocate_by_weights
from settlement.engine.inputs import CampusInputs
from settlement.engine.lines import TenantCharge, from_contract, number_lines
from settlement.engine.pools import pool_weights
from settlement.engine.segments import local_days
from settlement.tariffs import UNIT_MWH, Charge, display_rate
from settlement.types import SettlementResult, with_lines_after_each_tenant

CLAUSE_TRUE_UP = "allocation.grid_tariff.true_up"
CLAUSE_EXPORT_CREDIT = "allocation.grid_tariff.export"


@dataclass(frozen=True)
class NetMeteringYear:
    """Campus figures of a true-up year (Wh, micro-USD): metered grid import and export, and the export credited
    on the bill (credited Wh and the credit, zero or negative)."""

    grid_import_wh: int = 0
    export_wh: int = 0
    credited_wh: int = 0
    credit_usd_micros: int = 0

    def plus(self, other: NetMeteringYear) -> NetMeteringYear:
        return NetMeteringYear(self.grid_import_wh + other.grid_import_wh, self.export_wh + other.export_wh,
                               self.credited_wh + other.credited_wh,
                               self.credit_usd_micros + other.credit_usd_micros)


def true_up_months(true_up_month: date) -> tuple[str, str]:
    """('YYYY-MM' of the first month, of the true-up month) of the 12-month true-up year ending with the month of
    `true_up_month`."""
    first = true_up_month.replace(day=1)
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    return f"{first:%Y-%m}", f"{true_up_month:%Y-%m}"


def closing_true_up_day(days: list[date], true_up: TrueUp) -> date | None:
    """The last local day of the true-up month when it is one of `days`, else None."""
    for day in days:
        if day.month == true_up.month and (day + timedelta(days=1)).month != true_up.month:
            return day
    return None


def true_up_amount_usd_micros(year: NetMeteringYear, true_up: TrueUp) -> tuple[int, int]:
    """(net surplus Wh, reconciliation in micro-USD: positive charges back the surplus's monthly credits, negative
    pays more than they did)."""
    surplus_wh = max(0, year.export_wh - year.grid_import_wh)
    if surplus_wh == 0:
        return 0, 0
    with localcontext() as context:
        context.prec = 60
        taken_back = Decimal(0) if year.credited_wh == 0 else \
            Decimal(-year.credit_usd_micros) * min(surplus_wh, year.credited_wh) / year.credited_wh
        # $/kWh -> micro-USD/Wh multiplies by 10^6 / 10^3.
        paid = Decimal(surplus_wh) * true_up.net_surplus_rate_usd_per_kwh * 1000
        return surplus_wh, int((taken_back - paid).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def add_true_up(result: SettlementResult, last_segment: CampusInputs, before: NetMeteringYear | None
                ) -> SettlementResult:
    """`result` with the true-up lines when the period holds the last day of the campus tariff's true-up month
    and a `grid_tariff` allocation (component all or export) carries the bill's export credit to tenants."""
    tariff, allocation = _contracts(last_segment.contracts)
    if tariff is None or allocation is None or not last_segment.tenant_ids:
        return result
    true_up = tariff_terms(tariff).true_up
    assert true_up is not None
    days = local_days(last_segment.period_start_utc, last_segment.period_end_utc, last_segment.time_zone)
    if closing_true_up_day(days, true_up) is None:
        return result
    year = (before or NetMeteringYear()).plus(_this_period(result))
    surplus_wh, amount_usd_micros = true_up_amount_usd_micros(year, true_up)
    if surplus_wh == 0 and amount_usd_micros == 0:
        return result
    weights = pool_weights(last_segment, allocation_terms(allocation))
    wh_parts = allocate_by_weights(surplus_wh, weights)
    usd_parts = allocate_by_weights(amount_usd_micros, weights)
    tenant_ids = last_segment.tenant_ids
    assert_conserved("pool grid_tariff true-up (Wh)", surplus_wh, [wh_parts[t] for t in tenant_ids])
    assert_conserved("pool grid_tariff true-up (micro-USD)", amount_usd_micros, [usd_parts[t] for t in tenant_ids])
    charges: list[TenantCharge] = []
    for tenant_id in tenant_ids:
        charge = Charge(f"Net metering true-up {days[-1]:%Y-%m}: net surplus at "
                        f"{true_up.net_surplus_rate_usd_per_kwh} USD/kWh, its monthly credits taken back",
                        CLAUSE_TRUE_UP, wh_parts[tenant_id], UNIT_MWH,
                        display_rate(usd_parts[tenant_id], wh_parts[tenant_id]), usd_parts[tenant_id])
        charges.append(from_contract(tenant_id, charge, allocation, result.intervals_sha256_hex, "", (tariff,)))
    return with_lines_after_each_tenant(result, number_lines(charges))


def _contracts(contracts: list[ContractVersion]) -> tuple[ContractVersion | None, ContractVersion | None]:
    """(the campus tariff with a true-up, the grid_tariff allocation that carries its export credit)."""
    tariffs = sorted((c for c in contracts if c.kind == KIND_TARIFF and c.tenant_id is None),
                     key=lambda c: c.contract_key)
    if not tariffs or tariff_terms(tariffs[0]).true_up is None:
        return None, None
    allocations = sorted((c for c in contracts if c.kind == KIND_ALLOCATION
                          and allocation_terms(c).pool == "grid_tariff"
                          and allocation_terms(c).component in ("all", "export")), key=lambda c: c.contract_key)
    return tariffs[0], (allocations[0] if allocations else None)


def _this_period(result: SettlementResult) -> NetMeteringYear:
    credited = [line for line in result.lines if line.clause == CLAUSE_EXPORT_CREDIT]
    return NetMeteringYear(result.energy_balance.grid_import_wh, result.energy_balance.export_wh,
                           sum(line.quantity_wh for line in credited),
                           sum(line.amount_usd_micros for line in credited))

"""Shadow settlement, the pure part: recompute every statement line from our meter data x the ISO's prices,
diff per run and charge type, and say what to post and what to dispute.

Delta semantics: each run restates the day, and the ledger already holds the differences of earlier runs,
so a run posts only the CHANGE in its difference (`posted_delta_usd_micros`). A run's lines must agree with
the sum of their deltas over the runs so far; if they do not, the statement is inconsistent and is refused.
A discrepancy seen in an earlier run but gone from the latest is `resolved_by_later_run`; one still in the
latest run is `open` and goes to the operator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from common.errors import BadInput, DomainError
from market_adapters.reconciliation.charges import QuantityKey, line_amount_usd_micros
from market_adapters.reconciliation.statement import StatementLine, StatementRun

PriceKey = tuple[str, datetime]  # (node, interval start UTC)


class ShadowPriceMissing(DomainError):
    """We have no ISO price for a node and interval the statement settles; fetching prices later can help."""

    retryable: ClassVar[bool] = True

    def __init__(self, node: str, interval_start_utc: datetime) -> None:
        super().__init__(f"no ISO price for {node} at {interval_start_utc.isoformat()}")


@dataclass(frozen=True)
class LineDiscrepancy:
    statement_id: str
    line_no: int
    charge_type: str
    resource_id: str
    interval_start_utc: datetime
    cause: str  # price | quantity | price_and_quantity | amount | missing_line | unexpected_line
    iso_quantity_mwh: Decimal | None
    shadow_quantity_mwh: Decimal | None
    iso_price_usd_per_mwh: Decimal | None
    shadow_price_usd_per_mwh: Decimal | None
    difference_usd_micros: int  # ISO amount - our amount


@dataclass(frozen=True)
class ChargeReconciliation:
    charge_type: str
    iso_amount_usd_micros: int
    shadow_amount_usd_micros: int
    difference_usd_micros: int
    posted_delta_usd_micros: int


@dataclass(frozen=True)
class RunReconciliation:
    statement_id: str
    run_type: str
    run_sequence: int
    published_at_utc: datetime
    charges: tuple[ChargeReconciliation, ...]
    discrepancies: tuple[LineDiscrepancy, ...]


@dataclass(frozen=True)
class Dispute:
    discrepancy: LineDiscrepancy
    status: str  # open | resolved_by_later_run


@dataclass(frozen=True)
class ReconciliationResult:
    runs: tuple[RunReconciliation, ...]
    disputes: tuple[Dispute, ...]


def reconcile_runs(runs: Sequence[StatementRun], quantities_mwh: Mapping[QuantityKey, Decimal],
                   prices_usd_per_mwh: Mapping[PriceKey, Decimal]) -> ReconciliationResult:
    """Reconcile every run of one operating day; `quantities_mwh` holds our data for that day only."""
    ordered = sorted(runs, key=lambda run: run.run_sequence)
    _check_deltas(ordered)
    results: list[RunReconciliation] = []
    previous_difference: dict[str, int] = {}
    for run in ordered:
        result = _reconcile_run(run, quantities_mwh, prices_usd_per_mwh, previous_difference)
        previous_difference = {charge.charge_type: charge.difference_usd_micros for charge in result.charges}
        results.append(result)
    return ReconciliationResult(tuple(results), _disputes(results))


def _reconcile_run(run: StatementRun, quantities_mwh: Mapping[QuantityKey, Decimal],
                   prices: Mapping[PriceKey, Decimal], previous_difference: Mapping[str, int]) -> RunReconciliation:
    iso_totals: dict[str, int] = {}
    shadow_totals: dict[str, int] = {}
    discrepancies: list[LineDiscrepancy] = []
    settled: set[QuantityKey] = set()
    for line in run.lines:
        key = (line.charge_type, line.resource_id, line.interval_start_utc)
        settled.add(key)
        shadow_price = _price(prices, line.node, line.interval_start_utc)
        shadow_quantity = quantities_mwh.get(key)
        shadow_amount = 0 if shadow_quantity is None else line_amount_usd_micros(shadow_quantity, shadow_price)
        iso_totals[line.charge_type] = iso_totals.get(line.charge_type, 0) + line.amount_usd_micros
        shadow_totals[line.charge_type] = shadow_totals.get(line.charge_type, 0) + shadow_amount
        discrepancy = _line_discrepancy(run, line, shadow_quantity, shadow_price, shadow_amount)
        if discrepancy is not None:
            discrepancies.append(discrepancy)
    for key in sorted(set(quantities_mwh) - settled):
        discrepancies.append(_missing_line(run, key, quantities_mwh[key]))
        shadow_totals.setdefault(key[0], 0)  # a charge type with only missing lines still shows up
    charges = tuple(
        _charge(charge_type, iso_totals.get(charge_type, 0), shadow_totals.get(charge_type, 0),
                previous_difference.get(charge_type, 0))
        for charge_type in sorted(set(iso_totals) | set(shadow_totals) | set(previous_difference))
    )
    return RunReconciliation(run.statement_id, run.run_type, run.run_sequence, run.published_at_utc, charges,
                             tuple(discrepancies))


def _charge(charge_type: str, iso_usd_micros: int, shadow_usd_micros: int, previous: int) -> ChargeReconciliation:
    difference = iso_usd_micros - shadow_usd_micros
    return ChargeReconciliation(charge_type, iso_usd_micros, shadow_usd_micros, difference, difference - previous)


def _line_discrepancy(run: StatementRun, line: StatementLine, shadow_quantity: Decimal | None,
                      shadow_price: Decimal, shadow_amount: int) -> LineDiscrepancy | None:
    if shadow_quantity is None:
        cause = "unexpected_line"
    else:
        price_differs = line.price_usd_per_mwh != shadow_price
        quantity_differs = line.quantity_mwh != shadow_quantity
        if not (price_differs or quantity_differs or line.amount_usd_micros != shadow_amount):
            return None
        # (False, False) with different amounts means the ISO's own arithmetic or rounding differs.
        cause = {(True, False): "price", (False, True): "quantity", (True, True): "price_and_quantity",
                 (False, False): "amount"}[(price_differs, quantity_differs)]
    return LineDiscrepancy(run.statement_id, line.line_no, line.charge_type, line.resource_id,
                           line.interval_start_utc, cause, line.quantity_mwh, shadow_quantity,
                           line.price_usd_per_mwh, shadow_price, line.amount_usd_micros - shadow_amount)


def _missing_line(run: StatementRun, key: QuantityKey, quantity: Decimal) -> LineDiscrepancy:
    # Not on the statement at all: we cannot price it from the statement, so the difference is left at 0
    # in money and the line is listed for the operator to chase.
    charge_type, resource_id, start = key
    return LineDiscrepancy(run.statement_id, 0, charge_type, resource_id, start, "missing_line", None, quantity,
                           None, None, 0)


def _price(prices: Mapping[PriceKey, Decimal], node: str, interval_start_utc: datetime) -> Decimal:
    price = prices.get((node, interval_start_utc))
    if price is None:
        raise ShadowPriceMissing(node, interval_start_utc)
    return price


def _check_deltas(runs: Sequence[StatementRun]) -> None:
    cumulative: dict[QuantityKey, tuple[Decimal, int]] = {}
    for run in runs:
        for line in run.lines:
            key = (line.charge_type, line.resource_id, line.interval_start_utc)
            quantity, amount = cumulative.get(key, (Decimal(0), 0))
            quantity, amount = quantity + line.quantity_delta_mwh, amount + line.amount_delta_usd_micros
            if (quantity, amount) != (line.quantity_mwh, line.amount_usd_micros):
                raise BadInput(run.statement_id, line.line_no, "amount_delta_usd",
                               "line does not equal the sum of its deltas over the runs so far")
            cumulative[key] = (quantity, amount)


def _disputes(results: Sequence[RunReconciliation]) -> tuple[Dispute, ...]:
    if not results:
        return ()
    latest = results[-1]
    open_keys = {(d.charge_type, d.resource_id, d.interval_start_utc) for d in latest.discrepancies}
    disputes = [Dispute(d, "open") for d in latest.discrepancies]
    seen = set(open_keys)
    for result in reversed(results[:-1]):
        for discrepancy in result.discrepancies:
            key = (discrepancy.charge_type, discrepancy.resource_id, discrepancy.interval_start_utc)
            if key not in seen:
                seen.add(key)
                disputes.append(Dispute(discrepancy, "resolved_by_later_run"))
    return tuple(disputes)

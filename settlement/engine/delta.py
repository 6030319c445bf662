"""Delta settlement (pure): a corrected input is settled again and only the differences are posted.

Lines are matched by (tenant, clause, n), n counting that tenant's lines with that clause in line order, so a
changed description (a new peak in the text) does not break the match. For each key the delta is corrected minus
what is settled so far (the original lines plus every earlier delta); keys whose quantity and amount are unchanged
produce nothing. Summing the original lines and all deltas always gives the latest settlement exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from settlement.types import SettlementLine

LineKey = tuple[str, str, int]


@dataclass(frozen=True)
class PositionLine:
    """What is settled so far for one key (quantity and amount summed over the original and earlier deltas)."""

    tenant_id: str
    clause: str
    description: str
    unit: str
    quantity_wh: int
    rate: Decimal
    amount_usd_micros: int
    inputs_sha256_hex: str


@dataclass(frozen=True)
class AdjustmentLine:
    line_no: int
    tenant_id: str
    description: str
    clause: str
    clause_occurrence: int
    unit: str
    quantity_wh_delta: int
    rate: Decimal
    amount_usd_micros_delta: int
    inputs_sha256_hex: str


def keyed(lines: Sequence[tuple[str, str]]) -> list[LineKey]:
    """(tenant, clause) in line order -> (tenant, clause, occurrence)."""
    seen: dict[tuple[str, str], int] = {}
    keys: list[LineKey] = []
    for tenant_id, clause in lines:
        occurrence = seen.get((tenant_id, clause), 0)
        seen[(tenant_id, clause)] = occurrence + 1
        keys.append((tenant_id, clause, occurrence))
    return keys


def delta_lines(position: dict[LineKey, PositionLine], corrected: Sequence[SettlementLine]) -> list[AdjustmentLine]:
    """Adjustments that move `position` to `corrected`; removed lines are reversed in full."""
    corrected_by_key = dict(zip(keyed([(line.tenant_id, line.clause) for line in corrected]), corrected, strict=True))
    adjustments: list[AdjustmentLine] = []
    for key in sorted(set(position) | set(corrected_by_key)):
        before, after = position.get(key), corrected_by_key.get(key)
        quantity_delta = (after.quantity_wh if after else 0) - (before.quantity_wh if before else 0)
        amount_delta = (after.amount_usd_micros if after else 0) - (before.amount_usd_micros if before else 0)
        if quantity_delta == 0 and amount_delta == 0:
            continue
        if after is not None:
            adjustments.append(AdjustmentLine(len(adjustments) + 1, after.tenant_id, f"Adjustment: {after.description}",
                                              after.clause, key[2], after.unit, quantity_delta, after.rate_usd_per_mwh,
                                              amount_delta, after.inputs_sha256_hex))
        else:
            assert before is not None
            adjustments.append(AdjustmentLine(len(adjustments) + 1, before.tenant_id,
                                              f"Reversal: {before.description}", before.clause, key[2],
                                              before.unit, quantity_delta, before.rate, amount_delta,
                                              before.inputs_sha256_hex))
    return adjustments


def tenant_deltas(adjustments: Sequence[AdjustmentLine]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in adjustments:
        totals[line.tenant_id] = totals.get(line.tenant_id, 0) + line.amount_usd_micros_delta
    return dict(sorted(totals.items()))

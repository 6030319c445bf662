"""One result from a period's segments (pure): every line says the segment and contract version it comes from.

A period settled in one segment is returned as that segment's result, unchanged. With several, each line's
description gains " (<first day> to <last day>, <contract> v<version>)", lines are grouped by tenant (sorted),
then by segment, then in the order the segment produced them, and numbered from 1; the energy balance is the
whole period's, counted once; tenant totals are sums of the lines. `contract_versions` keeps the first
segment's entries under their own keys and adds each later segment's as "<key>@<its first day>".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from settlement.engine.segments import ContractSegment
from settlement.types import EnergyBalance, SettlementLine, SettlementResult, tenant_totals


def combine_segments(parts: Sequence[tuple[ContractSegment, SettlementResult]], balance: EnergyBalance
                     ) -> SettlementResult:
    assert parts, "a period has at least one segment"
    if len(parts) == 1:
        return parts[0][1]
    keyed: list[tuple[str, int, int, SettlementLine]] = []
    versions: dict[str, int] = {}
    prices: dict[str, str] = {}
    for index, (segment, result) in enumerate(parts):
        names = _version_names(segment)
        for line in result.lines:
            suffix = f" ({segment.label}" + (f", {names[_ref(line)]})" if _ref(line) in names else ")")
            labelled = replace(line, description=line.description + suffix)
            keyed.append((line.tenant_id, index, line.line_no, labelled))
        at = "" if index == 0 else f"@{segment.first_day.isoformat()}"
        versions.update({f"{key}{at}": version for key, version in result.contract_versions.items()})
        prices.update(result.price_sha256_hex)
    keyed.sort(key=lambda item: item[:3])
    lines = [replace(line, line_no=line_no) for line_no, (*_, line) in enumerate(keyed, start=1)]
    return SettlementResult(lines, balance, tenant_totals(lines), dict(sorted(versions.items())),
                            parts[0][1].intervals_sha256_hex, dict(sorted(prices.items())))


def _ref(line: SettlementLine) -> tuple[str, int | None]:
    if line.contract_version_id is not None:
        return ("full", line.contract_version_id)
    return ("fixed", line.contract_id)


def _version_names(segment: ContractSegment) -> dict[tuple[str, int | None], str]:
    names: dict[tuple[str, int | None], str] = {
        ("full", c.contract_version_id): f"{c.contract_key} v{c.version}" for c in segment.contracts}
    names.update({("fixed", c.contract_id): f"supply contract v{c.version}"
                  for c in segment.fixed_prices.values()})
    return names

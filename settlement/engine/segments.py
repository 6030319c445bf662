"""Contract segments of a billing period (pure): cut where the contract versions in force change.

A version is in force on a local date (the campus's calendar) when its `effective_from` is on or before that
date; per contract key (per tenant for fixed prices) the highest such version wins, on every local date of
the period. The period is cut at each local midnight where the set of versions in force changes, and each segment is
settled on its own window; a period without a change is one segment, settled exactly as it always was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from settlement.contracts import ContractVersion, FixedPriceContract

_ONE_US = timedelta(microseconds=1)


@dataclass(frozen=True)
class ContractSegment:
    """[start_utc, end_utc) with the versions in force on each of its local days `first_day` .. `last_day`."""

    start_utc: datetime
    end_utc: datetime
    first_day: date
    last_day: date
    contracts: tuple[ContractVersion, ...]
    fixed_prices: dict[str, FixedPriceContract]

    @property
    def label(self) -> str:
        return f"{self.first_day.isoformat()} to {self.last_day.isoformat()}"


def local_days(start_utc: datetime, end_utc: datetime, time_zone: ZoneInfo) -> list[date]:
    """Every local date with at least one instant of [start_utc, end_utc), in order."""
    first = start_utc.astimezone(time_zone).date()
    last = max(first, (end_utc - _ONE_US).astimezone(time_zone).date())
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def local_midnight_utc(day: date, time_zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), time_zone).astimezone(UTC)


def month_days(start_utc: datetime, end_utc: datetime, time_zone: ZoneInfo) -> dict[int, int]:
    """Local days of the period per month key (year x 12 + month - 1): the days of each billing month."""
    counts: dict[int, int] = {}
    for day in local_days(start_utc, end_utc, time_zone):
        key = day.year * 12 + day.month - 1
        counts[key] = counts.get(key, 0) + 1
    return counts


def contracts_in_force_on(history: Iterable[ContractVersion], day: date) -> tuple[ContractVersion, ...]:
    """Per contract key, the highest version whose effective_from <= day; sorted by key."""
    best: dict[str, ContractVersion] = {}
    for contract in history:
        held = best.get(contract.contract_key)
        if contract.effective_from <= day and (held is None or contract.version > held.version):
            best[contract.contract_key] = contract
    return tuple(best[key] for key in sorted(best))


def fixed_prices_in_force_on(history: Iterable[FixedPriceContract], day: date) -> dict[str, FixedPriceContract]:
    """Per tenant, the highest fixed-price version whose effective_from <= day; sorted by tenant."""
    best: dict[str, FixedPriceContract] = {}
    for contract in history:
        held = best.get(contract.tenant_id)
        if contract.effective_from <= day and (held is None or contract.version > held.version):
            best[contract.tenant_id] = contract
    return {tenant_id: best[tenant_id] for tenant_id in sorted(best)}


def contract_segments(start_utc: datetime, end_utc: datetime, time_zone: ZoneInfo,
                      history: Sequence[ContractVersion], history_fixed: Sequence[FixedPriceContract]
                      ) -> list[ContractSegment]:
    """The period cut at every local midnight where the versions in force change (only an effective_from date
    can change them). The first segment starts at the period start and the last ends at its end."""
    days = local_days(start_utc, end_utc, time_zone)
    effective_days = {c.effective_from for c in history} | {c.effective_from for c in history_fixed}
    candidates = sorted(day for day in effective_days if days[0] < day <= days[-1])
    starts = [days[0]]
    in_force = _in_force(history, history_fixed, days[0])
    for day in candidates:
        next_in_force = _in_force(history, history_fixed, day)
        if _identity(next_in_force) != _identity(in_force):
            starts.append(day)
            in_force = next_in_force
    segments = []
    for index, first_day in enumerate(starts):
        is_last = index == len(starts) - 1
        segment_start_utc = start_utc if index == 0 else local_midnight_utc(first_day, time_zone)
        segment_end_utc = end_utc if is_last else local_midnight_utc(starts[index + 1], time_zone)
        last_day = days[-1] if is_last else starts[index + 1] - timedelta(days=1)
        contracts, fixed_prices = _in_force(history, history_fixed, first_day)
        segments.append(ContractSegment(segment_start_utc, segment_end_utc, first_day, last_day, contracts,
                                        fixed_prices))
    return segments


def _in_force(history: Sequence[ContractVersion], history_fixed: Sequence[FixedPriceContract], day: date
              ) -> tuple[tuple[ContractVersion, ...], dict[str, FixedPriceContract]]:
    return contracts_in_force_on(history, day), fixed_prices_in_force_on(history_fixed, day)


def _identity(in_force: tuple[tuple[ContractVersion, ...], dict[str, FixedPriceContract]]
              ) -> frozenset[tuple[str, str, int]]:
    contracts, fixed_prices = in_force
    return frozenset({("full", c.contract_key, c.version) for c in contracts} |
                     {("fixed", tenant_id, c.version) for tenant_id, c in fixed_prices.items()})

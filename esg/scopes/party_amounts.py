"""Exact Decimal amounts per party as arrays: one hour's split, its sums over the cycle, and the split per hour.

A campus's consuming parties (`tenant:<id>`, `retained:shared`) are the same every hour, so an hour's split is an
object array of Decimals over them, computed with one numpy call per rule instead of one dictionary entry per
party; parties that take a share only in some hours (`retained:unallocated`, `retained:export`) sit beside it in a
dictionary. A party counts as having a part only in hours it consumed, as the dictionaries did before, so the
sums and the parties listed are the same. Numpy applies Decimal's own operators element by element, in the
current decimal context: the arithmetic is the Decimal arithmetic of the rules, not floats.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import numpy as np

ZERO = Decimal(0)


def decimal_zeros(count: int) -> np.ndarray:
    array = np.empty(count, dtype=object)
    array[:] = ZERO
    return array


@dataclass(frozen=True)
class Consumption:
    """Each consuming party's Wh in one hour: as int64 (`energy_wh`) and as Python ints in an object array
    (`energy_wh_exact`, so that Decimal rules apply element by element), their total and who consumed."""

    energy_wh: np.ndarray
    energy_wh_exact: np.ndarray
    total_wh: int
    has_part: np.ndarray

    @classmethod
    def of(cls, energy_wh: np.ndarray) -> Consumption:
        return cls(energy_wh, energy_wh.astype(object), int(energy_wh.sum()), energy_wh != 0)


@dataclass(frozen=True)
class PartySplit:
    """An amount split among parties: `parts[i]` for consuming party `i` where `has_part[i]` (a Decimal zero
    elsewhere: a party that consumed nothing in the hour), and `others`."""

    parts: np.ndarray
    has_part: np.ndarray
    others: dict[str, Decimal]

    def as_dict(self, parties: Sequence[str]) -> dict[str, Decimal]:
        found = {parties[i]: self.parts[i] for i in np.flatnonzero(self.has_part).tolist()}
        return found | self.others


@dataclass
class PartySums:
    """Exact sums per party over the hours of a cycle, added hour by hour in order."""

    parts: np.ndarray
    has_part: np.ndarray
    others: dict[str, Decimal] = field(default_factory=dict)

    @classmethod
    def empty(cls, party_count: int) -> PartySums:
        return cls(decimal_zeros(party_count), np.zeros(party_count, dtype=bool))

    def add_split(self, split: PartySplit) -> None:
        # A party without a part this hour has a Decimal zero there: adding it changes no value.
        self.parts = self.parts + split.parts
        self.has_part |= split.has_part
        self.add_mapping(split.others)

    def add_mapping(self, amounts: Mapping[str, Decimal]) -> None:
        for party, amount in amounts.items():
            self.others[party] = self.others.get(party, ZERO) + amount

    def as_dict(self, parties: Sequence[str]) -> dict[str, Decimal]:
        found = {parties[i]: self.parts[i] for i in np.flatnonzero(self.has_part).tolist()}
        for party, amount in self.others.items():
            found[party] = found[party] + amount if party in found else amount
        return found


@dataclass
class PartyHours:
    """Exact Decimal amounts per party and hour (grid or on-site Wh per party), one `PartySplit` per hour."""

    parties: tuple[str, ...]
    hours: list[datetime] = field(default_factory=list)
    splits: list[PartySplit] = field(default_factory=list)

    def append(self, hour: datetime, split: PartySplit) -> None:
        self.hours.append(hour)
        self.splits.append(split)

    def copy(self) -> PartyHours:
        return PartyHours(self.parties, list(self.hours),
                          [PartySplit(s.parts.copy(), s.has_part, dict(s.others)) for s in self.splits])

    def totals(self) -> dict[str, Decimal]:
        """Per party, the sum over its hours in hour order; parties in the order they first take a part."""
        sums = PartySums.empty(len(self.parties))
        first_hour: dict[str, int] = {}
        for index, split in enumerate(self.splits):
            sums.add_split(split)
            for party in split.others:
                first_hour.setdefault(party, index)
        if self.splits:
            present = np.array([split.has_part for split in self.splits], dtype=bool).reshape(
                len(self.splits), len(self.parties))
            first_present = np.argmax(present, axis=0).tolist()
            for party_index in np.flatnonzero(present.any(axis=0)).tolist():
                party = self.parties[party_index]
                first_hour[party] = min(first_hour.get(party, first_present[party_index]),
                                        first_present[party_index])
        ordered = sums.as_dict(self.parties)
        return {party: ordered[party] for party in sorted(ordered, key=lambda p: first_hour[p])}

    def hour_column(self, index: int) -> np.ndarray:
        """Hour `index` over the consuming parties (a Decimal zero where a party has no part)."""
        return self.splits[index].parts

    def get(self, party: str, hour: datetime) -> Decimal:
        index = self._hour_index(hour)
        if index is None:
            return ZERO
        split = self.splits[index]
        if party in split.others:
            return split.others[party]
        position = self._party_index(party)
        if position is None or not split.has_part[position]:
            return ZERO
        amount: Decimal = split.parts[position]
        return amount

    def set(self, party: str, hour: datetime, amount: Decimal) -> None:
        """Replace an amount that `get` found (a present part)."""
        index = self._hour_index(hour)
        assert index is not None, "only an hour of the cycle is changed"
        split = self.splits[index]
        position = self._party_index(party)
        if party in split.others or position is None:
            split.others[party] = amount
        else:
            split.parts[position] = amount

    def _hour_index(self, hour: datetime) -> int | None:
        position = bisect_left(self.hours, hour)
        return position if position < len(self.hours) and self.hours[position] == hour else None

    def _party_index(self, party: str) -> int | None:
        return self.parties.index(party) if party in self.parties else None

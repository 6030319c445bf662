"""Does NYISO already hold our powerMetering body? Pure comparison of read-backs with the body we send.

NYISO has no idempotency key, and its read API filters by time, PTID and update time but not by
`userRequestId` (iso-formats.md §3.4): it returns the latest stored record per PTID and hour, with its
`maUpdateTime`. A commit whose answer was lost is therefore recognised by its values. Submissions are
all-or-nothing, so after our request committed every one of our records reads back with our values; if none
of the records changed since the read taken before sending, nothing committed and a resend is safe; any other
change is a write we did not make, and overwriting it silently is not ours to decide.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from market_adapters.nyiso.format import COLLECTION_PTID_FIELDS

RecordKey = tuple[str, int, datetime]
"""(collection, PTID, hour start in UTC): what NYISO stores one version of."""

MEASURE_SUFFIX = "Mwh"  # every NYISO measure field ends so: meterInjectionEnergyMwh, meterTieFlowMwh, ...


@dataclass(frozen=True)
class HeldRecord:
    """One record as NYISO returned it: its measures (MWh, exact) and the stamps that change on every write."""

    measures: dict[str, Decimal]
    version: str
    updated_at_text: str


@dataclass(frozen=True)
class ReadBackScope:
    """The smallest read-back query covering a body: hours `[first_hour_start_utc, last_hour_start_utc]`
    (NYISO's `endTime` is inclusive) and the PTIDs of each collection."""

    first_hour_start_utc: datetime
    last_hour_start_utc: datetime
    ptids: dict[str, tuple[int, ...]]


class Stored(enum.Enum):
    OURS = "every record holds our values"
    UNCHANGED = "no record changed since the read before sending"
    OTHER = "a record changed to values that are not ours"


def body_values(body: dict[str, Any]) -> dict[RecordKey, dict[str, Decimal]]:
    """Our records keyed as NYISO stores them, measures as exact Decimals."""
    return {key: measures for key, measures, _ in _records(body)}


def held_records(payload: dict[str, Any]) -> dict[RecordKey, HeldRecord]:
    """A read-back answer keyed like `body_values`."""
    return {key: HeldRecord(measures, str(record.get("version", "")), str(record.get("maUpdateTime", "")))
            for key, measures, record in _records(payload)}


def read_back_scope(values: dict[RecordKey, dict[str, Decimal]]) -> ReadBackScope:
    assert values, "a committed body has at least one record"
    hours = sorted(hour for _, _, hour in values)
    ptids: dict[str, set[int]] = {}
    for collection, ptid, _ in values:
        ptids.setdefault(collection, set()).add(ptid)
    return ReadBackScope(hours[0], hours[-1], {name: tuple(sorted(found)) for name, found in ptids.items()})


def holds_ours(ours: dict[RecordKey, dict[str, Decimal]], held: dict[RecordKey, HeldRecord]) -> bool:
    # Decimal equality ignores trailing zeros: 40 and 40.0000 MWh are the same value.
    return all(key in held and held[key].measures == measures for key, measures in ours.items())


def stored_after_unknown_outcome(ours: dict[RecordKey, dict[str, Decimal]], before: dict[RecordKey, HeldRecord],
                                 after: dict[RecordKey, HeldRecord]) -> Stored:
    """What a read after a send with unknown outcome says, given the read taken before the send."""
    if holds_ours(ours, after):
        return Stored.OURS
    if all(before.get(key) == after.get(key) for key in ours):
        return Stored.UNCHANGED
    return Stored.OTHER


def changed_not_ours(ours: dict[RecordKey, dict[str, Decimal]], before: dict[RecordKey, HeldRecord],
                     after: dict[RecordKey, HeldRecord]) -> list[RecordKey]:
    """The records that changed since the read before sending and do not hold our values, in key order."""
    return sorted(key for key, measures in ours.items()
                  if before.get(key) != after.get(key) and (key not in after or after[key].measures != measures))


def _records(document: dict[str, Any]) -> list[tuple[RecordKey, dict[str, Decimal], dict[str, Any]]]:
    found = []
    for collection, ptid_field in COLLECTION_PTID_FIELDS.items():
        for record in document.get(collection) or []:
            hour_utc = datetime.fromisoformat(str(record["dateHour"])).astimezone(UTC)
            measures = {name: Decimal(str(value)) for name, value in record.items() if name.endswith(MEASURE_SUFFIX)}
            found.append(((collection, int(record[ptid_field]), hour_utc), measures, record))
    return found

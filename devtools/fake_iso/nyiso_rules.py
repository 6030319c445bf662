"""The fake NYISO's powerMetering checks: each failure is a code-prefixed message, as NYISO returns them.

Written independently of market_adapters/nyiso/validate.py on purpose: the fake plays the ISO, so our own
validator's mistakes would not be hidden by sharing its code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from devtools.fake_iso.state import FakeIsoState

EASTERN = ZoneInfo("America/New_York")
COLLECTIONS = {
    "generators": ("genPtid", {"meterInjectionEnergyMwh": (0, 1), "meterWithdrawalEnergyMwh": (-1, 0),
                               "meterDemandReductionMwh": (0, 1)}),
    "ties": ("tiePtid", {"meterTieFlowMwh": (-1, 1)}),
    "subzones": ("subzonePtid", {"meterSubzoneLoadMwh": (0, 1)}),
}
LIMIT_MWH = Decimal(10_000)
RECORDS_MAX = 200_000


@dataclass(frozen=True)
class CheckedRecord:
    collection: str
    ptid: int
    hour_utc: datetime
    measures: dict[str, Decimal]


def registered_ptids(state: FakeIsoState, collection: str) -> set[int]:
    return {"generators": state.generator_ptids, "ties": state.tie_ptids, "subzones": state.subzone_ptids}[collection]


def check_collection(state: FakeIsoState, collection: str, records: list[Any], now_utc: datetime
                     ) -> tuple[list[CheckedRecord], list[dict[str, Any]]]:
    """(records that passed, failed records each with an `errors` list)."""
    ptid_field, measures = COLLECTIONS[collection]
    passed: list[CheckedRecord] = []
    failed: list[dict[str, Any]] = []
    seen: set[tuple[object, datetime | None]] = set()
    for record in records:
        errors, checked = _check_record(state, collection, ptid_field, measures, record, now_utc, seen)
        if errors:
            failed.append({**(record if isinstance(record, dict) else {"record": record}), "errors": errors})
        elif checked is not None:
            passed.append(checked)
    return passed, failed


def _check_record(state: FakeIsoState, collection: str, ptid_field: str, measures: dict[str, Any],
                  record: object, now_utc: datetime, seen: set[tuple[object, datetime | None]]
                  ) -> tuple[list[str], CheckedRecord | None]:
    if not isinstance(record, dict):
        return ["M00009: record is not an object"], None
    errors: list[str] = []
    ptid = record.get(ptid_field)
    if not isinstance(ptid, int) or ptid not in registered_ptids(state, collection):
        errors.append(f"M00001: {ptid_field} {ptid} is not registered to this market participant")
    hour_utc, hour_error = _hour(record.get("dateHour"), now_utc)
    if hour_error:
        errors.append(hour_error)
    elif (ptid, hour_utc) in seen:
        errors.append(f"M00005: duplicate {ptid_field} {ptid} and dateHour {record.get('dateHour')}")
    seen.add((ptid, hour_utc))
    values: dict[str, Decimal] = {}
    for name, value in record.items():
        if name in (ptid_field, "dateHour"):
            continue
        if name not in measures:
            errors.append(f"M00007: {name} is not allowed for {collection}")
            continue
        value_error, exact = _measure(name, value, measures[name])
        if value_error:
            errors.append(value_error)
        else:
            values[name] = exact
    if not values and not errors:
        errors.append("M00008: record has no meter value")
    if errors:
        return errors, None
    assert isinstance(ptid, int) and hour_utc is not None  # no errors means both were checked
    return errors, CheckedRecord(collection, ptid, hour_utc, values)


def _hour(text: object, now_utc: datetime) -> tuple[datetime | None, str | None]:
    try:
        value = datetime.fromisoformat(str(text))
    except ValueError:
        return None, f"M00004: dateHour {text!r} is not ISO-8601"
    if value.tzinfo is None or value.minute or value.second:
        return None, f"M00004: dateHour {text} must be on the hour with an offset"
    hour_utc = value.astimezone(UTC)
    if hour_utc.astimezone(EASTERN).utcoffset() != value.utcoffset():
        return None, f"M00004: dateHour {text} offset does not match Eastern time"
    if hour_utc >= now_utc:
        return None, f"M00006: dateHour {text} is in the future"
    return hour_utc, None


def _measure(name: str, value: object, signs: tuple[int, int]) -> tuple[str | None, Decimal]:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return f"M00003: {name} must be a number", Decimal(0)
    try:
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return f"M00003: {name} must be a number", Decimal(0)
    if not exact.is_finite():
        return f"M00003: {name} must be a finite number", Decimal(0)
    low, high = signs[0] * LIMIT_MWH, signs[1] * LIMIT_MWH
    low_ok = exact > low if signs[0] else exact >= 0
    high_ok = exact < high if signs[1] else exact <= 0
    if not (low_ok and high_ok):
        return f"M00003: {name} {value} is out of range", exact
    if exact != exact.quantize(Decimal("0.0001")):
        return f"M00002: {name} has more than 4 decimal places", exact
    return None, exact

"""Check a `powerMetering` body before it leaves us, with the rules NYISO documents (iso-formats.md §3.4).

NYISO validates all-or-nothing: one bad record rejects the whole request. We check the same rules first so
an operator sees every problem at once, named by collection, record index, PTID, hour and field.
Ranges for generators are NYISO's; the tie and subzone ranges are ours (the guide gives none) and are kept
symmetric with the generator limit.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from market_adapters.nyiso.format import EASTERN, hour_beginning_label

USER_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,30}$")
MWH_DECIMALS_MAX = 4
MWH_LIMIT = Decimal(10_000)
DOCUMENT_KEYS = frozenset({"submissionParameters", "generators", "ties", "subzones"})

# measure -> (lowest allowed, highest allowed, lowest inclusive, highest inclusive)
_MEASURE_RANGES: dict[str, tuple[Decimal, Decimal, bool, bool]] = {
    "meterInjectionEnergyMwh": (Decimal(0), MWH_LIMIT, True, False),
    "meterWithdrawalEnergyMwh": (-MWH_LIMIT, Decimal(0), False, True),
    "meterDemandReductionMwh": (Decimal(0), MWH_LIMIT, True, False),
    "meterTieFlowMwh": (-MWH_LIMIT, MWH_LIMIT, False, False),
    "meterSubzoneLoadMwh": (Decimal(0), MWH_LIMIT, True, False),
}
COLLECTION_FIELDS: dict[str, tuple[str, frozenset[str]]] = {
    "generators": ("genPtid", frozenset({"meterInjectionEnergyMwh", "meterWithdrawalEnergyMwh",
                                         "meterDemandReductionMwh"})),
    "ties": ("tiePtid", frozenset({"meterTieFlowMwh"})),
    "subzones": ("subzonePtid", frozenset({"meterSubzoneLoadMwh"})),
}


def validate_power_metering_document(doc: dict[str, Any]) -> list[str]:
    """Every rule the body breaks, one message each; an empty list means NYISO's checks should pass."""
    errors = [f"document: unknown key {key!r}" for key in sorted(set(doc) - DOCUMENT_KEYS)]
    errors += _parameter_errors(doc.get("submissionParameters"))
    record_count = 0
    for collection, (ptid_field, measures) in COLLECTION_FIELDS.items():
        records = doc.get(collection, [])
        if not isinstance(records, list):
            errors.append(f"{collection}: must be a list")
            continue
        record_count += len(records)
        seen: set[tuple[object, datetime]] = set()
        for index, record in enumerate(records):
            errors += _record_errors(collection, index, record, ptid_field, measures, seen)
    if record_count == 0:
        errors.append("document: no generators, ties or subzones records")
    return errors


def _parameter_errors(parameters: object) -> list[str]:
    if parameters is None:
        return []
    if not isinstance(parameters, dict):
        return ["submissionParameters: must be an object"]
    errors = [f"submissionParameters: unknown key {key!r}"
              for key in sorted(set(parameters) - {"doNotCommit", "userRequestId"})]
    if "doNotCommit" in parameters and not isinstance(parameters["doNotCommit"], bool):
        errors.append("submissionParameters.doNotCommit: must be true or false")
    request_id = parameters.get("userRequestId")
    if request_id is not None and not (isinstance(request_id, str) and USER_REQUEST_ID_PATTERN.match(request_id)):
        errors.append("submissionParameters.userRequestId: 1-30 letters, digits, '-' or '_'")
    return errors


def _record_errors(collection: str, index: int, record: object, ptid_field: str, measures: frozenset[str],
                   seen: set[tuple[object, datetime]]) -> list[str]:
    if not isinstance(record, dict):
        return [f"{collection}[{index}]: must be an object"]
    ptid = record.get(ptid_field)
    hour = _parse_date_hour(record.get("dateHour"))
    label = _label(hour)
    where = f"{collection}[{index}] ({ptid_field} {ptid}, dateHour {record.get('dateHour')}{label})"
    errors = [f"{where}: unknown field {key!r}" for key in sorted(set(record) - measures - {ptid_field, "dateHour"})]
    if not (isinstance(ptid, int) and not isinstance(ptid, bool) and ptid > 0):
        errors.append(f"{where}: {ptid_field}: must be a positive integer")
    if hour is None:
        errors.append(f"{where}: dateHour: must be ISO-8601 on the hour with a UTC offset")
    elif (ptid, hour) in seen:
        errors.append(f"{where}: dateHour: duplicate record for this {ptid_field} and hour")
    else:
        seen.add((ptid, hour))
    present = [name for name in measures if name in record]
    if not present:
        errors.append(f"{where}: no measure; expected one of {sorted(measures)}")
    for name in sorted(present):
        errors += [f"{where}: {name}: {reason}" for reason in _value_errors(name, record[name])]
    return errors


def _label(hour: datetime | None) -> str:
    """` = MM/DD/YYYY HB hh`, NYISO's own name for the hour, when `hour` starts an Eastern hour; else nothing."""
    if hour is None:
        return ""
    try:
        hour_utc = hour.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 or 9999 with an offset leaves datetime's range
        return ""
    if hour_utc.astimezone(EASTERN).minute:
        return ""
    return f" = {hour_beginning_label(hour_utc)}"


def _parse_date_hour(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None or value.minute or value.second or value.microsecond:
        return None
    return value


def _value_errors(name: str, value: object) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ["must be a number"]
    try:
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return ["must be a finite number"]
    if not exact.is_finite():
        return ["must be a finite number"]
    errors = []
    exponent = exact.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MWH_DECIMALS_MAX:
        errors.append(f"more than {MWH_DECIMALS_MAX} decimals")
    low, high, low_inclusive, high_inclusive = _MEASURE_RANGES[name]
    above_low = exact >= low if low_inclusive else exact > low
    below_high = exact <= high if high_inclusive else exact < high
    if not (above_low and below_high):
        errors.append(f"{exact} outside {'[' if low_inclusive else '('}{low}, {high}{']' if high_inclusive else ')'}")
    return errors

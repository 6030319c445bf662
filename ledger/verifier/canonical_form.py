"""Checks that bytes are already in RFC 8785 (JCS) canonical form, with the standard library only.

Ledger entries (format v1) hold only strings, booleans, null, small integers, arrays and objects;
floats never appear, so the JCS number rules reduce to "an integer in ±(2^53-1), written plainly".
For that domain the standard `json` encoder with `ensure_ascii=False` and no spaces writes strings
exactly as JCS does (same escapes: \\b \\t \\n \\f \\r, other controls as lowercase \\u00xx, nothing
else escaped). Key order is the one difference: JCS sorts by UTF-16 code units, `sort_keys` by code
points. They agree unless a key holds a character at or above U+E000, so bytes that contain such a
character (UTF-8 lead byte 0xEE or higher) go through `jcs_encode`, which sorts by UTF-16 units.

This is deliberately not the writer's recipe (common.canonical_json, which produces the bytes with the
same C encoder and `rfc8785`): the verifier checks the writer's output, so it must not run the writer's
code, and it must run where `rfc8785` is not installed (docs/hashing.md).
"""

from __future__ import annotations

import json
import re
from typing import Any

INTEGER_ABS_MAX = 2**53 - 1
_HIGH_CODE_POINT = re.compile(rb"[\xee-\xff]")
# A bare number of 16+ digits may exceed 2^53-1; such input takes the exact per-entry path.
_LONG_NUMBER = re.compile(rb"[:\[,]-?[0-9]{16,}")


class NotCanonical(ValueError):
    """Bytes that are not JSON of the v1 domain, or not in canonical form."""


def _reject_float(text: str) -> Any:
    raise NotCanonical(f"number {text} is not an integer; v1 entries hold no floats")


def _reject_constant(text: str) -> Any:
    raise NotCanonical(f"{text} is not JSON")


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        names = [name for name, _ in pairs]
        repeated = next(name for name in names if names.count(name) > 1)
        raise NotCanonical(f"member name {repeated!r} appears twice in one object")
    return value


def parse_strict(raw: bytes, members_checked: bool = True) -> Any:
    """The one JSON document of `raw`, which must be UTF-8 (no BOM, no other encoding) with nothing after it.

    `members_checked` refuses an object naming a member twice (json.loads would keep the last); the bulk
    path skips it because re-encoding already differs from such bytes, and the per-entry path names it.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotCanonical(f"not UTF-8: byte {error.start} ({raw[error.start:error.start + 1]!r}) {error.reason}") from error
    try:
        return json.loads(text, parse_float=_reject_float, parse_constant=_reject_constant,
                          object_pairs_hook=_unique_members if members_checked else None)
    except json.JSONDecodeError as error:
        raise NotCanonical(f"not one JSON document: {error}") from error


def _utf8(text: str) -> bytes:
    try:
        return text.encode()
    except UnicodeEncodeError as error:  # a \ud800-style escape decodes to a lone surrogate
        raise NotCanonical("a string holds a lone surrogate, which is not a Unicode character") from error


def _utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be")


def jcs_encode(value: Any) -> str:
    """JCS text of a v1-domain value (str, int, bool, None, list, dict with str keys)."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        if abs(value) > INTEGER_ABS_MAX:
            raise NotCanonical(f"integer {value} is outside the I-JSON range")
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(jcs_encode(item) for item in value) + "]"
    if isinstance(value, dict):
        members = sorted(value.items(), key=lambda item: _utf16_order(item[0]))
        return "{" + ",".join(jcs_encode(k) + ":" + jcs_encode(v) for k, v in members) + "}"
    raise NotCanonical(f"type {type(value).__name__} is outside the v1 domain")


def _fast_encode(value: Any) -> bytes:
    return _utf8(json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True))


def _check_integers(value: Any) -> None:
    # json.loads accepts big integers; I-JSON (and so JCS) does not.
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if abs(value) > INTEGER_ABS_MAX:
            raise NotCanonical(f"integer {value} is outside the I-JSON range")
    elif isinstance(value, list):
        for item in value:
            _check_integers(item)
    elif isinstance(value, dict):
        for item in value.values():
            _check_integers(item)


def canonical_value(raw: bytes) -> Any:
    """Parse `raw` and return its value; raises NotCanonical unless `raw` is its own JCS form."""
    value = parse_strict(raw)
    if _HIGH_CODE_POINT.search(raw):
        encoded = _utf8(jcs_encode(value))
    else:
        _check_integers(value)
        encoded = _fast_encode(value)
    if encoded != raw:
        raise NotCanonical("bytes differ from their canonical (RFC 8785) form")
    return value


def canonical_values_bulk(raws: list[bytes]) -> list[Any] | None:
    """Parse many entries at once; returns None when any one needs the per-entry check.

    One json.loads and one json.dumps over the joined array keep the per-entry cost in C.
    """
    joined = b"[" + b",".join(raws) + b"]"
    if _HIGH_CODE_POINT.search(joined) or _LONG_NUMBER.search(joined):
        return None
    try:
        values = parse_strict(joined, members_checked=False)
        if not isinstance(values, list) or len(values) != len(raws) or _fast_encode(values) != joined:
            return None
    except NotCanonical:
        return None
    return values

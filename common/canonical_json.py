"""The one canonical-JSON hash recipe of wattledger, `rfc8785-sha256/1` (docs/hashing.md).

Every document and result hash (invoice documents, ledger entries and requests, settlement results and
inputs, contract terms, campus files, ISO submissions, emissions results) is

    sha256_hex(value) = lowercase hex of SHA-256(RFC 8785 (JCS) bytes of json_value(value))

`json_value` is the recipe's normalisation of Python values to JSON: str, int, bool and None as they are;
float as RFC 8785 writes it; Decimal as its exact text (`str(Decimal("12.50"))` = "12.50", so 12.5 and
12.50 hash differently, as they read differently); datetime (aware only) as UTC text
`YYYY-MM-DDTHH:MM:SS.ffffffZ`; date as `YYYY-MM-DD`; an Enum as its value; a dataclass as an object
of its fields; tuples and lists as arrays; mappings as objects (keys must be strings). Anything else
is refused. The recipe's name is recorded beside the hashes it produced (docs/hashing.md says where).

The `rfc8785` library is the reference encoder. Ledger documents live in a narrow domain: strings,
booleans, null and the integer 1 (the format version), in str-keyed objects and arrays; amounts and
sequence numbers are decimal strings. On that domain the standard library's C encoder
(`json.dumps(ensure_ascii=False, separators=(",", ":"), sort_keys=True)`) writes the same bytes as
JCS: the same string escapes, no number formatting in play, and the same member order as long as no
key holds a character at or above U+E000 (where UTF-16 and code-point order part ways). Values
inside that domain take the C encoder (about 6x faster, which the batched ledger append needs);
anything else is normalised and goes to `rfc8785`. tests/unit/ledger proves byte equality of the two
on the domain.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import rfc8785

HASH_RECIPE = "rfc8785-sha256/1"

_KEY_ORDER_SAFE_MAX = "\ue000"  # below this, code-point order equals UTF-16 code-unit order
_encode_fast = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False).encode


_second_texts: dict[datetime, str] = {}  # "YYYY-MM-DDTHH:MM:SS." by whole UTC second
SECOND_TEXTS_CACHED_MAX = 4096


def utc_text(value: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffffZ` (as common.timeutil.format_utc_micros, with a four-digit year).

    A batch's instants share a few seconds (record times 1 µs apart, one effective time), so the
    text up to the second is cached: formatting was a tenth of the time spent planning an entry.
    """
    assert value.tzinfo is not None, "instants must be timezone-aware"
    utc = value.astimezone(UTC)
    second = utc.replace(microsecond=0)
    prefix = _second_texts.get(second)
    if prefix is None:
        if len(_second_texts) >= SECOND_TEXTS_CACHED_MAX:
            _second_texts.clear()
        prefix = _second_texts[second] = (
            f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}."
        )
    return f"{prefix}{utc.microsecond:06d}Z"


def in_fast_domain(value: Any) -> bool:
    """True when `value` only holds str / bool / None / ints within ±(2^53-1) and order-safe keys."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -(2**53) < value < 2**53
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and (not key or max(key) < _KEY_ORDER_SAFE_MAX) and in_fast_domain(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return all(in_fast_domain(item) for item in value)
    return False


def json_value(value: Any) -> Any:
    """The recipe's normalisation of `value` to JSON types (see the module's docstring)."""
    if value is None or isinstance(value, (bool, str, int, float)) and not isinstance(value, Enum):
        return value
    if isinstance(value, Enum):
        return json_value(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):  # before date: a datetime is a date
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: json_value(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("canonical JSON objects need string keys")
        return {key: json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    raise TypeError(f"{type(value).__name__} has no canonical JSON form")


def canonical_bytes(value: Any, domain_checked: bool = False) -> bytes:
    """JCS bytes of `json_value(value)`; `domain_checked=True` means the caller built it inside the fast
    domain (JSON types only), so neither the domain check nor the normalisation is needed."""
    if domain_checked or in_fast_domain(value):
        # encode("utf-8") refuses lone surrogates, as JCS (I-JSON) does.
        return _encode_fast(value).encode("utf-8")
    return rfc8785.dumps(json_value(value))


def sha256_canonical(value: Any, domain_checked: bool = False) -> tuple[bytes, bytes]:
    """(canonical bytes, their SHA-256)."""
    raw = canonical_bytes(value, domain_checked)
    return raw, hashlib.sha256(raw).digest()


def sha256_hex(value: Any) -> str:
    """The recipe's hash of `value`: lowercase hex SHA-256 of its canonical bytes."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()

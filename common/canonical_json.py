"""Canonical bytes for hashing: RFC 8785 (JCS).

The `rfc8785` library is the reference encoder. Ledger documents live in a narrow domain: strings,
booleans, null and the integer 1 (the format version), in str-keyed objects and arrays; amounts and
sequence numbers are decimal strings. On that domain the standard library's C encoder
(`json.dumps(ensure_ascii=False, separators=(",", ":"), sort_keys=True)`) writes the same bytes as
JCS: the same string escapes, no number formatting in play, and the same member order as long as no
key holds a character at or above U+E000 (where UTF-16 and code-point order part ways). Documents
inside that domain take the C encoder (about 6x faster, which the batched append needs); anything
else goes to `rfc8785`. tests/unit/ledger proves byte equality of the two on the domain, and
`CANONICAL_FAST_PATH = False` turns the fast path off.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import rfc8785

CANONICAL_FAST_PATH = True
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


def canonical_bytes(value: Any, domain_checked: bool = False) -> bytes:
    """JCS bytes of `value`; `domain_checked=True` means the caller built it inside the fast domain."""
    if CANONICAL_FAST_PATH and (domain_checked or in_fast_domain(value)):
        # encode("utf-8") refuses lone surrogates, as JCS (I-JSON) does.
        return _encode_fast(value).encode("utf-8")
    return rfc8785.dumps(value)


def sha256_canonical(value: Any, domain_checked: bool = False) -> tuple[bytes, bytes]:
    """(canonical bytes, their SHA-256)."""
    raw = canonical_bytes(value, domain_checked)
    return raw, hashlib.sha256(raw).digest()

"""Canonical bytes for hashing: RFC 8785 (JCS) through the maintained `rfc8785` library.

Only str, int (within ±(2^53-1)), bool, None, lists and str-keyed dicts may go in; amounts and
sequence numbers travel as decimal strings, instants as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


def canonical_bytes(value: Any) -> bytes:
    return rfc8785.dumps(value)


def sha256_canonical(value: Any) -> tuple[bytes, bytes]:
    """(canonical bytes, their SHA-256)."""
    raw = rfc8785.dumps(value)
    return raw, hashlib.sha256(raw).digest()

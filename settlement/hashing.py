"""Input fingerprints for settlement lines: one sha256 over a canonical (RFC 8785) JSON of the input hashes.

Recipe v1: sha256(JCS({"v": 1, "intervals": <sha256 hex of the interval file>, "contract": "<kind>:<id>:v<version>",
"contract_sha256": <sha256 hex of the contract's terms or "">, "prices": <sha256 hex of the price file or "">})).
Everything is a string, so the bytes are the same in any language that implements JCS. A line whose amount
depends on several contracts (a pool allocation and the campus tariff or PPAs behind it) joins their references,
and their terms hashes, with "|" in that order; several price files likewise.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

INPUTS_HASH_VERSION = 1


def sha256_hex_of_json(value: Any) -> str:
    """sha256 of the canonical JSON form (RFC 8785) of `value` (strings, ints, lists and dicts only)."""
    return hashlib.sha256(rfc8785.dumps(value)).hexdigest()


def line_inputs_sha256_hex(
    intervals_sha256_hex: str, contract_ref: str, contract_sha256_hex: str = "", prices_sha256_hex: str = ""
) -> str:
    return sha256_hex_of_json(
        {
            "v": str(INPUTS_HASH_VERSION),
            "intervals": intervals_sha256_hex,
            "contract": contract_ref,
            "contract_sha256": contract_sha256_hex,
            "prices": prices_sha256_hex,
        }
    )

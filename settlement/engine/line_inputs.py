"""Input fingerprints for settlement lines: the hash recipe of common.canonical_json over the input hashes.

Inputs format v1: sha256(JCS({"v": 1, "intervals": <sha256 hex of the interval file>, "contract": "<kind>:<id>:v<version>",
"contract_sha256": <sha256 hex of the contract's terms or "">, "prices": <sha256 hex of the price file or "">})).
Everything is a string, so the bytes are the same in any language that implements JCS. A line whose amount
depends on several contracts (a pool allocation and the campus tariff or PPAs behind it) joins their references,
and their terms hashes, with "|" in that order; several price files likewise.
"""

from __future__ import annotations

from common.canonical_json import sha256_hex

INPUTS_HASH_VERSION = 1


def line_inputs_sha256_hex(
    intervals_sha256_hex: str, contract_ref: str, contract_sha256_hex: str = "", prices_sha256_hex: str = ""
) -> str:
    return sha256_hex(
        {
            "v": str(INPUTS_HASH_VERSION),
            "intervals": intervals_sha256_hex,
            "contract": contract_ref,
            "contract_sha256": contract_sha256_hex,
            "prices": prices_sha256_hex,
        }
    )

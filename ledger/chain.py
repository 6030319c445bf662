"""The hash recipe of the ledger, version 1 (see docs/ledger-spec.md). Standard library only.

    leaf_n  = SHA-256(0x00 || canonical_n)                       RFC 6962 leaf hash
    chain_n = SHA-256("ledger-chain-v1" || 0x00 || chain_{n-1} || leaf_n),   chain_0 = 32 zero bytes

The tag makes a chain hash impossible to confuse with a Merkle node (prefix 0x01) or leaf (0x00).
"""

from __future__ import annotations

import hashlib

from ledger.merkle import leaf_hash

HASH_VERSION = 1
CHAIN_TAG_V1 = b"ledger-chain-v1\x00"
CHAIN_GENESIS = bytes(32)


def chain_hash(previous_chain_hash: bytes, leaf_hash_value: bytes) -> bytes:
    return hashlib.sha256(CHAIN_TAG_V1 + previous_chain_hash + leaf_hash_value).digest()


def entry_hashes(previous_chain_hash: bytes, canonical: bytes) -> tuple[bytes, bytes]:
    """(leaf hash, chain hash) of one entry whose canonical bytes follow `previous_chain_hash`."""
    leaf = leaf_hash(canonical)
    return leaf, chain_hash(previous_chain_hash, leaf)

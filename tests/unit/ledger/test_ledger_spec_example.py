"""The worked example in docs/ledger-spec.md is consistent with its own recipe: recomputed here with
plain hashlib, uuid and the rfc8785 library (not the ledger code), and accepted by our checkers."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from pathlib import Path

import rfc8785

from ledger.chain import entry_hashes
from ledger.verifier.canonical_form import canonical_value

SPEC = Path(__file__).resolve().parents[3] / "docs" / "ledger-spec.md"


def _example() -> tuple[bytes, bytes, str, str, str, str]:
    text = SPEC.read_text()
    entry = re.search(r"```\n(\{\"accounts\".*?)\n```", text, re.DOTALL).group(1).encode()
    request = re.search(r"The request document of the example in §2 is\n`(.*?)`\.", text, re.DOTALL).group(1).encode()
    leaf = re.search(r"Its leaf hash is `([0-9a-f]{64})`", text).group(1)
    previous = re.search(r"After chain hash 1,\n`([0-9a-f]{64})`", text).group(1)
    chain = re.search(r"its chain hash is\n`([0-9a-f]{64})`", text).group(1)
    namespace = re.search(r"namespace `([0-9a-f-]{36})`", text).group(1)
    return entry, request, leaf, previous, chain, namespace


def test_example_hashes_follow_the_written_recipe() -> None:
    """leaf = SHA-256(00 || bytes); chain = SHA-256("ledger-chain-v1" 00 || prev || leaf), by hashlib."""
    entry, _, leaf, previous, chain, _ = _example()
    assert hashlib.sha256(b"\x00" + entry).hexdigest() == leaf
    tag = b"ledger-chain-v1" + b"\x00"
    assert hashlib.sha256(tag + bytes.fromhex(previous) + bytes.fromhex(leaf)).hexdigest() == chain
    assert entry_hashes(bytes.fromhex(previous), entry) == (bytes.fromhex(leaf), bytes.fromhex(chain))


def test_example_bytes_are_canonical_and_ids_derive_as_written() -> None:
    """The bytes are their own RFC 8785 form; request_hash and entry_id follow the spec."""
    entry, request, _, _, _, namespace = _example()
    document = json.loads(entry)
    assert rfc8785.dumps(document) == entry and canonical_value(entry) == document
    assert rfc8785.dumps(json.loads(request)) == request
    assert hashlib.sha256(request).hexdigest() == document["request_hash"]
    name = f"{document['origin']}\n{document['idempotency_key']}"
    assert str(uuid.uuid5(uuid.UUID(namespace), name)) == document["entry_id"]

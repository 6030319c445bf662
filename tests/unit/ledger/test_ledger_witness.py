"""The witness (C2SP tlog-witness add-checkpoint) and cosignatures (tlog-cosignature/v1, Ed25519), without a
database: the answers the protocol prescribes, its state, and the key ids that keep witness and log keys apart."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.cosignature import (
    cosign,
    cosigned_message,
    cosigner_key_from_private,
    parse_cosigner_vkey,
    verify_cosignature,
)
from ledger.merkle import consistency_proof, leaf_hash, root_hash
from ledger.signed_note import NoteError, checkpoint_body, sign_note, verifier_key_from_private
from ledger.witness import Witness, witness_server

ORIGIN = "test.wattledger/witnessed"
LOG_KEY = Ed25519PrivateKey.generate()
LEAVES = [leaf_hash(f"entry {n}".encode()) for n in range(1, 21)]


def note_at(size: int, leaves: list[bytes] = LEAVES, key: Ed25519PrivateKey = LOG_KEY) -> str:
    return sign_note(checkpoint_body(ORIGIN, size, root_hash(leaves[:size])), ORIGIN, key)


def request(old: int, size: int, leaves: list[bytes] = LEAVES, note: str | None = None) -> bytes:
    proof = consistency_proof(leaves[:size], old) if old else []
    lines = "".join(base64.b64encode(node).decode() + "\n" for node in proof)
    return f"old {old}\n{lines}\n{note if note is not None else note_at(size, leaves)}".encode()


@pytest.fixture
def witness(tmp_path: Path) -> Witness:
    return Witness.at_home(tmp_path / "witness", "witness.test/w1",
                           [verifier_key_from_private(ORIGIN, LOG_KEY).vkey])


def test_a_cosignature_verifies_with_the_witness_key_only_and_uses_type_0x04() -> None:
    private = Ed25519PrivateKey.generate()
    key = cosigner_key_from_private("witness.test/w1", private)
    assert parse_cosigner_vkey(key.vkey) == key
    assert base64.b64decode(key.vkey.split("+", 2)[2])[0] == 0x04
    # The same key as a log key (type 0x01) has another key id: neither can pass for the other.
    assert verifier_key_from_private("witness.test/w1", private).key_id != key.key_id
    body = checkpoint_body(ORIGIN, 3, root_hash(LEAVES[:3]))
    note = sign_note(body, ORIGIN, LOG_KEY) + cosign(body, key.name, private, 1_700_000_000)
    assert verify_cosignature(note, key) == 1_700_000_000
    assert cosigned_message(body, 5).startswith(b"cosignature/v1\ntime 5\n" + ORIGIN.encode())
    other = cosigner_key_from_private("witness.test/w1", Ed25519PrivateKey.generate())
    with pytest.raises(NoteError, match="no cosignature"):
        verify_cosignature(note, other)
    forged = note.replace(body, checkpoint_body(ORIGIN, 4, root_hash(LEAVES[:4])))
    with pytest.raises(NoteError, match="does not verify"):
        verify_cosignature(forged, key)


def test_the_witness_cosigns_a_growing_log_and_persists_its_state(witness: Witness) -> None:
    first = witness.add_checkpoint(request(0, 5), now_s=100)
    assert first.status == 200, first.body
    assert verify_cosignature(note_at(5) + first.body, witness.key) == 100
    assert witness.stored(ORIGIN) == (5, root_hash(LEAVES[:5]))
    grown = witness.add_checkpoint(request(5, 13))
    assert grown.status == 200, grown.body
    assert verify_cosignature(note_at(13) + grown.body, witness.key) > 0
    # A second process over the same home starts from the stored state.
    again = Witness.at_home(witness.state_path.parent, witness.name, [verifier_key_from_private(ORIGIN, LOG_KEY).vkey])
    assert again.stored(ORIGIN) == (13, root_hash(LEAVES[:13]))
    assert again.add_checkpoint(request(13, 13)).status == 200  # the same checkpoint again is cosigned again


def test_the_witness_refuses_a_checkpoint_that_does_not_extend_its_stored_one(witness: Witness) -> None:
    assert witness.add_checkpoint(request(0, 8)).status == 200
    rewritten = list(LEAVES)
    rewritten[2] = leaf_hash(b"rewritten entry 3")
    refused = witness.add_checkpoint(request(8, 12, rewritten))
    assert refused.status == 422 and "consistency proof" in refused.body
    assert witness.add_checkpoint(request(8, 8, rewritten)).status == 409  # same size, another root
    stale = witness.add_checkpoint(request(0, 12))
    assert (stale.status, stale.body, stale.content_type) == (409, "8\n", "text/x.tlog.size")
    below = f"old 8\n\n{note_at(6)}".encode()
    assert witness.add_checkpoint(below).status == 400  # the old size above the new one
    assert witness.stored(ORIGIN) == (8, root_hash(LEAVES[:8])), "a refusal changes nothing stored"


def test_the_witness_refuses_a_bad_signature_and_an_unknown_log(witness: Witness) -> None:
    forger = Ed25519PrivateKey.generate()
    assert witness.add_checkpoint(request(0, 5, note=note_at(5, key=forger))).status == 403
    tampered = note_at(5).replace(base64.b64encode(root_hash(LEAVES[:5])).decode(),
                                  base64.b64encode(root_hash(LEAVES[:6])).decode())
    assert witness.add_checkpoint(request(0, 5, note=tampered)).status == 403
    unknown = sign_note(checkpoint_body("other.log/x", 2, root_hash(LEAVES[:2])), "other.log/x", LOG_KEY)
    assert witness.add_checkpoint(f"old 0\n\n{unknown}".encode()).status == 404
    assert witness.add_checkpoint(b"old 01\n\n" + note_at(5).encode()).status == 400
    assert witness.add_checkpoint(b"\xff\xfe").status == 400
    assert witness.stored(ORIGIN) == (0, None)


@pytest.fixture
def served(witness: Witness) -> Iterator[str]:
    server = witness_server(witness, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_witness_answers_over_http(served: str, witness: Witness) -> None:
    with httpx.Client(base_url=served) as http:
        assert http.get("/key").text.strip() == witness.key.vkey
        answer = http.post("/add-checkpoint", content=request(0, 7))
        assert answer.status_code == 200
        assert answer.text.startswith("\u2014 witness.test/w1 ")
        conflict = http.post("/add-checkpoint", content=request(0, 9))
        assert conflict.status_code == 409 and conflict.text == "7\n"
        assert conflict.headers["content-type"] == "text/x.tlog.size"
        assert http.post("/add-checkpoint", content=b"x" * 70_000).status_code == 413


def test_a_witness_with_an_unreadable_state_cosigns_nothing(served: str, witness: Witness) -> None:
    witness.state_path.write_text("{not json")
    with httpx.Client(base_url=served) as http:
        answer = http.post("/add-checkpoint", content=request(0, 7))
    assert answer.status_code == 500 and answer.text == "witness state unavailable\n"

"""`wattledger ledger consistency-proof --old N [--new M]` prints an RFC 9162 consistency proof between two
signed checkpoints of the real database, and `python -m ledger.verifier.consistency` checks it with the ledger's
public key alone: it accepts the proof as printed and refuses a changed node, a wrong key, a note that is not the
published one, and sizes without a checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from typer.testing import CliRunner

from ledger import ledger_vkey
from ledger.checkpoint import sign_checkpoint
from ledger.signed_note import verifier_key_from_private
from ledger.verifier.consistency import main as verify_consistency_main
from wattledger_cli.ledger import app


@pytest.fixture
def two_checkpoints(engine: Engine, signed_ledger, database_url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """Checkpoints at sizes 8 (the fixture's) and 10 (signed here); the CLI reads this database and ledger."""
    origin, key_path = signed_ledger
    with engine.begin() as conn:
        assert sign_checkpoint(conn, origin, key_path).tree_size == 10
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("WATTLEDGER_LEDGER_ORIGIN", origin)
    monkeypatch.setenv("WATTLEDGER_LEDGER_SIGNING_KEY_PATH", str(key_path))
    return origin, key_path


def test_cli_proof_verifies_standalone_and_tampering_is_refused(two_checkpoints, tmp_path: Path, capsys) -> None:
    """The printed proof (new size defaulting to the latest checkpoint) verifies; every tampered variant fails."""
    origin, key_path = two_checkpoints
    printed = CliRunner().invoke(app, ["consistency-proof", "--old", "8"])
    assert printed.exit_code == 0, printed.output
    proof = json.loads(printed.output)
    assert (proof["size_old"], proof["size_new"]) == (8, 10) and proof["proof_hex"]
    assert json.loads(CliRunner().invoke(app, ["consistency-proof", "--old", "8", "--new", "10"]).output) == proof
    vkey = ledger_vkey(origin, key_path)
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof))
    assert verify_consistency_main([str(path), "--vkey", vkey]) == 0
    assert f"OK origin={origin} tree 8 is a prefix of tree 10" in capsys.readouterr().out

    published = tmp_path / "published-8.txt"
    published.write_text(proof["checkpoint_old_note"])
    assert verify_consistency_main([str(path), "--vkey", vkey, "--old-checkpoint", str(published)]) == 0
    published.write_text(proof["checkpoint_new_note"])
    assert verify_consistency_main([str(path), "--vkey", vkey, "--old-checkpoint", str(published)]) == 1

    node = proof["proof_hex"][0]
    flipped = {**proof, "proof_hex": [("0" if node[0] != "0" else "1") + node[1:], *proof["proof_hex"][1:]]}
    other_key = verifier_key_from_private(origin, Ed25519PrivateKey.generate()).vkey
    for name, document, keys in [
        ("changed node", flipped, [vkey]),
        ("dropped node", {**proof, "proof_hex": proof["proof_hex"][:-1]}, [vkey]),
        ("unsigned root changed", {**proof, "root_old_hex": proof["root_new_hex"]}, [vkey]),
        ("sizes swapped", {**proof, "size_old": 10, "size_new": 8}, [vkey]),
        ("size true", {**proof, "size_old": True}, [vkey]),
        ("key not the ledger's", proof, [other_key]),
    ]:
        path.write_text(json.dumps(document))
        assert verify_consistency_main([str(path), *[part for key in keys for part in ("--vkey", key)]]) == 1, name
    capsys.readouterr()
    path.write_bytes(b"\xff not json")
    assert verify_consistency_main([str(path), "--vkey", vkey]) == 2


def test_cli_refuses_sizes_without_a_checkpoint(two_checkpoints) -> None:
    """An old size with no signed checkpoint, or an old size above the new one, is a clear error (exit 1)."""
    for arguments in (["--old", "9"], ["--old", "10", "--new", "8"]):
        result = CliRunner().invoke(app, ["consistency-proof", *arguments])
        assert result.exit_code == 1 and "checkpoint" in result.output, result.output

"""Signed checkpoints, key rotation, proofs, export and the standalone verifier, end to end."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from ledger import append_entries, ledger_vkey, verify_ledger
from ledger.checkpoint import sign_checkpoint
from ledger.errors import CheckpointInconsistent
from ledger.export import export_ledger
from ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger.proofs import prove_consistency, prove_inclusion
from ledger.signed_note import open_note, parse_checkpoint_body, parse_vkey
from ledger.verifier import compiled_check
from ledger.verifier.compiled_check import verify_export_compiled
from ledger.verifier.export_check import verify_export
from tests.integration.ledger.conftest import settlement_request

ROOT = Path(__file__).resolve().parents[3]


def test_checkpoint_key_file_is_private_and_signing_is_idempotent(engine: Engine, signed_ledger) -> None:
    """The key file is created 0600; signing an unchanged head returns the same checkpoint."""
    origin, key_path = signed_ledger
    assert key_path.stat().st_mode & 0o777 == 0o600
    with engine.begin() as conn:
        first = sign_checkpoint(conn, origin, key_path)
        second = sign_checkpoint(conn, origin, key_path)
    assert first == second and first.tree_size == 10
    body, _ = open_note(first.signed_note, [parse_vkey(first.vkey)])
    assert parse_checkpoint_body(body)[:2] == (origin, 10)


def test_inclusion_and_consistency_proofs_verify_against_signed_roots(engine: Engine, signed_ledger) -> None:
    """An entry's proof, checked with the RFC 9162 verifier, reaches the signed root; so does consistency."""
    origin, key_path = signed_ledger
    with engine.begin() as conn:
        later = sign_checkpoint(conn, origin, key_path)
        proof = prove_inclusion(conn, origin, 5)
        consistency = prove_consistency(conn, origin, 8, later.tree_size)
    assert proof.tree_size == 8
    canonical = base64.b64decode(proof.canonical_b64)
    verify_inclusion(4, 8, leaf_hash(canonical), [bytes.fromhex(h) for h in proof.proof_hex], bytes.fromhex(proof.root_hex))
    body, _ = open_note(proof.checkpoint_note, [parse_vkey(later.vkey)])
    assert parse_checkpoint_body(body)[2].hex() == proof.root_hex
    verify_consistency(8, 10, [bytes.fromhex(h) for h in consistency.proof_hex],
                       bytes.fromhex(consistency.root_old_hex), bytes.fromhex(consistency.root_new_hex))


def test_key_rotation_is_a_chained_entry_and_old_checkpoints_still_verify(
    engine: Engine, signed_ledger, tmp_path: Path
) -> None:
    """A new key is appended as a key_rotation entry before it signs; both checkpoints verify."""
    origin, _ = signed_ledger
    with engine.begin() as conn:
        rotated = sign_checkpoint(conn, origin, tmp_path / "new-key.pem")
        kinds = conn.execute(text(
            "SELECT kind FROM ledger_entry WHERE ledger_id = (SELECT ledger_id FROM ledger WHERE origin = :o)"
            " AND kind = 'key_rotation'"), {"o": origin}).scalars().all()
    assert rotated.tree_size == 11 and len(kinds) == 2
    with engine.connect() as conn:
        assert verify_ledger(conn, origin).ok


def test_never_signs_a_head_inconsistent_with_the_last_checkpoint(engine: Engine, signed_ledger) -> None:
    """After a superuser rewrites seq 2, signing refuses, and proofs refuse too."""
    origin, key_path = signed_ledger
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("UPDATE ledger_entry SET leaf_hash = sha256(leaf_hash) WHERE seq = 2 AND ledger_id ="
                          " (SELECT ledger_id FROM ledger WHERE origin = :o)"), {"o": origin})
    with pytest.raises(CheckpointInconsistent), engine.begin() as conn:
        sign_checkpoint(conn, origin, key_path)
    with pytest.raises(CheckpointInconsistent), engine.begin() as conn:
        prove_inclusion(conn, origin, 3)


def test_export_verifies_standalone_without_sqlalchemy(engine: Engine, signed_ledger, tmp_path: Path) -> None:
    """`python -m ledger.verifier DIR` passes on a fresh export and imports neither SQLAlchemy nor rfc8785."""
    origin, key_path = signed_ledger
    with engine.begin() as conn:
        assert export_ledger(conn, origin, tmp_path / "export") == 10
    probe = ("import runpy, sys; sys.argv = ['verify', sys.argv[1], '--vkey', sys.argv[2]];"
             "code = 0\ntry:\n    runpy.run_module('ledger.verifier', run_name='__main__')\n"
             "except SystemExit as done:\n    code = done.code\n"
             "print('LOADED', sorted(m for m in ('sqlalchemy', 'rfc8785', 'pyarrow', 'numpy') if m in sys.modules))\n"
             "sys.exit(code)")
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "export"), ledger_vkey(origin, key_path)],
                            cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK origin={origin} entries=10 checkpoints=1" in result.stdout
    assert "LOADED []" in result.stdout
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "export" / "postings.parquet")
    assert table.num_rows == 8 * 6  # eight settlement entries of six legs
    assert set(table.column("asset_code").to_pylist()) == {"USD/6", "MWH/6", "TCO2E/6"}


def _export(engine: Engine, origin: str, directory: Path) -> Path:
    with engine.begin() as conn:
        export_ledger(conn, origin, directory)
    return directory


def test_export_tampering_is_named(engine: Engine, signed_ledger, tmp_path: Path) -> None:
    """Edited bytes, swapped lines, a dropped tail and an untrusted key each fail with the right seq."""
    origin, _ = signed_ledger
    clean = _export(engine, origin, tmp_path / "clean")
    assert verify_export(clean).ok
    lines = (clean / "entries.jsonl").read_bytes().split(b"\n")[:-1]

    def variant(name: str, new_lines: list[bytes], chain_lines: int | None = None) -> Path:
        target = _export(engine, origin, tmp_path / name)
        (target / "entries.jsonl").write_bytes(b"".join(line + b"\n" for line in new_lines))
        if chain_lines is not None:
            chain = (target / "chain.tsv").read_text().splitlines()[:chain_lines]
            (target / "chain.tsv").write_text("".join(line + "\n" for line in chain))
        return target

    edited = variant("edited", [*lines[:5], lines[5].replace(b"cycle:a", b"cycle:z"), *lines[6:]])
    assert verify_export(edited).first_bad_seq == 6
    swapped = variant("swapped", [*lines[:2], lines[3], lines[2], *lines[4:]])
    assert verify_export(swapped).first_bad_seq == 3
    dropped = variant("dropped", lines[:6], chain_lines=6)
    manifest = json.loads((dropped / "MANIFEST.json").read_text())
    (dropped / "MANIFEST.json").write_text(json.dumps({**manifest, "entries": 6}))
    report = verify_export(dropped)
    assert not report.ok and report.first_bad_seq == 7 and "checkpoint" in report.reason
    stranger = "someone.else+00000000+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    untrusted = verify_export(clean, [stranger])
    assert not untrusted.ok and untrusted.first_bad_seq == 8
    # The compiled fast path gives the same report in every case, checkpoint included.
    for directory in (clean, edited, swapped, dropped):
        assert verify_export_compiled(directory) == verify_export(directory)
    assert verify_export_compiled(clean, [stranger]) == untrusted
    assert compiled_check.compiled_verdict(clean, None).checkpoints_checked == 1  # vouched without the replay


def test_settlement_entry_appended_after_checkpoint_gets_its_own(engine: Engine, signed_ledger) -> None:
    """Proving an entry newer than every checkpoint is refused until a new checkpoint is signed."""
    origin, key_path = signed_ledger
    from ledger.proofs import CheckpointNotFound

    with pytest.raises(CheckpointNotFound), engine.begin() as conn:
        prove_inclusion(conn, origin, 10)
    with engine.begin() as conn:
        append_entries(conn, origin, [settlement_request("invoice-entry")])
        sign_checkpoint(conn, origin, key_path)
        assert prove_inclusion(conn, origin, 11).tree_size == 11

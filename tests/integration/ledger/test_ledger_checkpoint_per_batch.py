"""Every committed posting batch is covered by a checkpoint signed in its own transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from ledger import append_checkpointed, ledger_id_for
from ledger.checkpoint import latest_checkpoint
from ledger.signed_note import open_note, parse_checkpoint_body, parse_vkey
from tests.integration.ledger.conftest import settlement_request


def _head_and_checkpoint(engine: Engine, origin: str) -> tuple[int, int | None]:
    from sqlalchemy import text

    with engine.connect() as conn:
        ledger_id = ledger_id_for(conn, origin)
        head = conn.execute(text("SELECT max(seq) FROM ledger_entry WHERE ledger_id = :l"), {"l": ledger_id}).scalar()
        latest = latest_checkpoint(conn, ledger_id)
    return int(head or 0), None if latest is None else latest.tree_size


def test_each_batch_commits_with_a_checkpoint_over_its_head(engine: Engine, origin: str, tmp_path: Path) -> None:
    key_path = tmp_path / "ledger.pem"
    with engine.begin() as conn:
        appended = append_checkpointed(conn, origin, [settlement_request("a1"), settlement_request("a2")], key_path)
    head, signed = _head_and_checkpoint(engine, origin)
    # seq 1 opened the accounts, 2 and 3 are the batch, 4 rotated the key in before its first signature.
    assert [entry.seq for entry in appended] == [2, 3]
    assert head == signed == 4
    with engine.begin() as conn:
        append_checkpointed(conn, origin, [settlement_request("a3")], key_path)
        checkpoint = latest_checkpoint(conn, ledger_id_for(conn, origin))
    assert checkpoint is not None and checkpoint.tree_size == 5 == _head_and_checkpoint(engine, origin)[0]
    body, _ = open_note(checkpoint.signed_note, [parse_vkey(checkpoint.vkey)])
    assert parse_checkpoint_body(body)[:2] == (origin, 5)


def test_a_repeated_batch_signs_nothing_new_and_a_rolled_back_one_leaves_no_checkpoint(
    engine: Engine, origin: str, tmp_path: Path
) -> None:
    key_path = tmp_path / "ledger.pem"
    with engine.begin() as conn:
        append_checkpointed(conn, origin, [settlement_request("b1")], key_path)
    before = _head_and_checkpoint(engine, origin)
    with engine.begin() as conn:
        hits = append_checkpointed(conn, origin, [settlement_request("b1")], key_path)
    assert hits[0].idempotency_hit and _head_and_checkpoint(engine, origin) == before
    with pytest.raises(RuntimeError), engine.begin() as conn:
        append_checkpointed(conn, origin, [settlement_request("b2")], key_path)
        raise RuntimeError("the step fails after posting, before its commit")
    assert _head_and_checkpoint(engine, origin) == before


def test_a_witness_that_is_down_or_misconfigured_costs_only_its_cosignature(
    engine: Engine, origin: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ledger import cosigner_key_from_private, publish_checkpoints

    key_path = tmp_path / "ledger.pem"
    with engine.begin() as conn:
        append_checkpointed(conn, origin, [settlement_request("w1")], key_path)
    down = cosigner_key_from_private("witness.test/down", Ed25519PrivateKey.generate()).vkey
    witnesses = {"http://127.0.0.1:9": down, "http://127.0.0.1:10": "not-a-witness-key"}
    with engine.connect() as conn:
        published = publish_checkpoints(conn, origin, tmp_path / "folder", witnesses)
    assert [(item.tree_size, item.witnesses) for item in published] == [(3, ())]
    assert published[0].path is not None and published[0].path.read_text().count("\u2014 ") == 1
    assert sum("no cosignature on checkpoint 3" in record.getMessage() for record in caplog.records) == 2

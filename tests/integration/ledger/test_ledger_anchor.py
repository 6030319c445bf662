"""A ledger an auditor can anchor: checkpoints published to a witness (a real `wattledger witness serve` process)
and to a folder, and the verifiers that use them. Each attack is done as a database superuser (triggers off) and
each is detected only with what was kept outside the database: the published checkpoint and the ledger's key."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from ledger import (
    PublishedCheckpointNotExtended,
    append_checkpointed,
    ensure_ledger,
    ledger_vkey,
    open_accounts,
    publish_checkpoints,
    publish_checkpoints_after_commit,
)
from ledger.export import export_ledger
from ledger.keys import create_signing_key
from ledger.verifier import read_published
from ledger.verifier.__main__ import main as verifier_main
from tests.integration.ledger.conftest import CHART, settlement_request
from tests.integration.ledger.witness_process import WITNESS_NAME, witness_process


@dataclass(frozen=True)
class Anchored:
    origin: str
    key_path: Path
    vkey: str
    witness_url: str
    witness_vkey: str
    folder: Path


@pytest.fixture
def anchored(engine: Engine, origin: str, tmp_path: Path) -> Iterator[Anchored]:
    """The test's ledger, its key, a witness process trusting that key, and a checkpoint folder."""
    key_path = tmp_path / "keys" / "ledger.pem"
    create_signing_key(key_path)
    vkey = ledger_vkey(origin, key_path)
    with witness_process(tmp_path / "witness", [vkey]) as (url, witness_vkey):
        yield Anchored(origin, key_path, vkey, url, witness_vkey, tmp_path / "published")


def _post_and_publish(engine: Engine, anchored: Anchored, keys: list[str]) -> None:
    with engine.begin() as conn:
        append_checkpointed(conn, anchored.origin, [settlement_request(key) for key in keys], anchored.key_path)
    with engine.connect() as conn:
        publish_checkpoints(conn, anchored.origin, anchored.folder, {anchored.witness_url: anchored.witness_vkey})


def _note(anchored: Anchored, size: int) -> Path:
    return next(anchored.folder.iterdir()) / f"{size}.note"


def _superuser(engine: Engine, *statements: str, origin: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # triggers off
        for statement in statements:
            conn.execute(text(statement), {"o": origin})


LEDGER = "(SELECT ledger_id FROM ledger WHERE origin = :o)"


def _verify(directory: Path, *options: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = verifier_main([str(directory), *options])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_each_batch_is_published_to_the_folder_and_cosigned_by_the_witness(engine: Engine, anchored: Anchored) -> None:
    _post_and_publish(engine, anchored, ["p1", "p2"])  # seq 2, 3; seq 4 rotates the key in
    _post_and_publish(engine, anchored, ["p3"])  # seq 5
    folder = next(anchored.folder.iterdir())
    assert sorted(path.name for path in folder.iterdir()) == ["4.note", "5.note"]
    for size in (4, 5):
        published = read_published(folder / f"{size}.note", [anchored.vkey], [anchored.witness_vkey])
        assert (published.origin, published.tree_size, published.witnesses) == (anchored.origin, size, (WITNESS_NAME,))
    with engine.connect() as conn:  # nothing new: nothing written, nothing sent
        assert publish_checkpoints(conn, anchored.origin, anchored.folder,
                                   {anchored.witness_url: anchored.witness_vkey}) == []


def test_checkpoints_signed_in_a_row_are_all_filed_and_the_newest_is_cosigned(engine: Engine, anchored: Anchored) -> None:
    with engine.begin() as conn:  # one transaction that signs three times (a correction rebilling three tenants)
        for key in ("r1", "r2", "r3"):
            append_checkpointed(conn, anchored.origin, [settlement_request(key)], anchored.key_path)
    with engine.connect() as conn:
        published = publish_checkpoints(conn, anchored.origin, anchored.folder,
                                        {anchored.witness_url: anchored.witness_vkey})
    assert [(item.tree_size, item.witnesses) for item in published] == [(3, ()), (4, ()), (5, (WITNESS_NAME,))]
    assert read_published(_note(anchored, 4), [anchored.vkey], []).tree_size == 4
    assert read_published(_note(anchored, 5), [anchored.vkey], [anchored.witness_vkey]).tree_size == 5


def test_tail_truncation_is_detected_with_the_published_checkpoint(
    engine: Engine, anchored: Anchored, tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _post_and_publish(engine, anchored, ["t1", "t2"])  # checkpoint 4
    _post_and_publish(engine, anchored, ["t3", "t4"])  # checkpoint 6
    _superuser(engine,
               f"DELETE FROM ledger_posting WHERE ledger_id = {LEDGER} AND seq > 4",
               f"DELETE FROM ledger_entry WHERE ledger_id = {LEDGER} AND seq > 4",
               f"DELETE FROM ledger_checkpoint WHERE ledger_id = {LEDGER} AND tree_size > 4", origin=anchored.origin)
    export = tmp_path / "export"
    with engine.begin() as conn:
        export_ledger(conn, anchored.origin, export)
    status, out, _ = _verify(export, "--vkey", anchored.vkey, capsys=capsys)
    assert status == 0, "without the published checkpoint the truncated export looks complete"
    status, out, _ = _verify(export, "--vkey", anchored.vkey, "--checkpoint", str(_note(anchored, 6)),
                             "--witness-key", anchored.witness_vkey, capsys=capsys)
    assert status == 1
    assert "seq=5" in out and "entries 5..6 were removed" in out
    # The live verifier says the same about the database.
    from wattledger_cli.main import app

    result = CliRunner().invoke(app, ["ledger", "verify", "--origin", anchored.origin, "--checkpoint",
                                      str(_note(anchored, 6)), "--witness-key", anchored.witness_vkey,
                                      "--vkey", anchored.vkey], env={"WATTLEDGER_DATABASE_URL": database_url})
    assert result.exit_code == 1 and "entries 5..6 were removed" in result.output
    # The ledger carries on from the cut (a new batch signs a fork at size 5): nothing of it is published.
    with engine.begin() as conn:
        append_checkpointed(conn, anchored.origin, [settlement_request("t5")], anchored.key_path)
    witnesses = {anchored.witness_url: anchored.witness_vkey}
    with engine.connect() as conn, pytest.raises(PublishedCheckpointNotExtended, match="fewer than 6 entries"):
        publish_checkpoints(conn, anchored.origin, anchored.folder, witnesses)
    assert publish_checkpoints_after_commit(engine, anchored.origin, anchored.folder, witnesses) == []
    assert sorted(path.name for path in _note(anchored, 6).parent.iterdir()) == ["4.note", "6.note"]


def test_a_forged_chain_and_a_replaced_key_are_detected(
    engine: Engine, anchored: Anchored, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _post_and_publish(engine, anchored, ["f1", "f2", "f3"])  # checkpoint 5, published and cosigned
    # The forger removes the whole chain and writes another one under the same origin with a key of their own.
    _superuser(engine, *(f"DELETE FROM {table} WHERE ledger_id = {LEDGER}"
                         for table in ("ledger_posting", "ledger_checkpoint", "ledger_account", "ledger_entry")),
               origin=anchored.origin)
    forger_key = tmp_path / "forger.pem"
    with engine.begin() as conn:
        ensure_ledger(conn, anchored.origin)
        open_accounts(conn, anchored.origin, CHART)
        append_checkpointed(conn, anchored.origin, [settlement_request(key, 9_999_999) for key in ("f1", "f2", "f3")],
                            forger_key)
    export = tmp_path / "export"
    with engine.begin() as conn:
        export_ledger(conn, anchored.origin, export)
    published = ["--checkpoint", str(_note(anchored, 5)), "--witness-key", anchored.witness_vkey]

    status, out, err = _verify(export, "--trust-export-keys", capsys=capsys)
    assert status == 0 and "WARNING --trust-export-keys" in err, "the export's own keys vouch for the forgery"
    status, out, _ = _verify(export, "--vkey", anchored.vkey, capsys=capsys)
    assert status == 1 and "no known key signed this note" in out  # the replaced key
    status, out, _ = _verify(export, "--vkey", anchored.vkey, *published, capsys=capsys)
    assert status == 1 and "seq=5" in out

    (export / "checkpoints.jsonl").write_text("")  # the forged chain without its checkpoints
    status, out, _ = _verify(export, "--vkey", anchored.vkey, capsys=capsys)
    assert status == 0, "without a published checkpoint a forged chain with no checkpoints passes"
    for fast in ([], ["--fast"]):
        status, out, _ = _verify(export, "--vkey", anchored.vkey, *published, *fast, capsys=capsys)
        assert status == 1 and "seq=5" in out and "another root" in out


def test_the_verifier_needs_a_trusted_key_and_valid_witness_cosignatures(
    engine: Engine, anchored: Anchored, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _post_and_publish(engine, anchored, ["k1"])  # checkpoint 3
    export = tmp_path / "export"
    with engine.begin() as conn:
        export_ledger(conn, anchored.origin, export)
    status, _, err = _verify(export, capsys=capsys)
    assert status == 2 and "--vkey" in err
    for fast in ([], ["--fast"]):  # the compiled pre-check gives the same verdict
        status, out, _ = _verify(export, "--vkey", anchored.vkey, "--checkpoint", str(_note(anchored, 3)),
                                 "--witness-key", anchored.witness_vkey, *fast, capsys=capsys)
        assert status == 0 and out.startswith("OK")
    stripped = tmp_path / "without-cosignature.note"
    stripped.write_text("".join(line for line in _note(anchored, 3).read_text().splitlines(keepends=True)
                                if WITNESS_NAME not in line))
    status, out, _ = _verify(export, "--vkey", anchored.vkey, "--checkpoint", str(stripped),
                             "--witness-key", anchored.witness_vkey, capsys=capsys)
    assert status == 1 and f"no cosignature by witness {WITNESS_NAME}" in out
    status, out, _ = _verify(export, "--vkey", anchored.vkey, "--checkpoint", str(tmp_path / "missing.note"),
                             capsys=capsys)
    assert status == 1 and "cannot read" in out


def test_the_cli_prints_the_public_key_without_a_database_and_catches_up_publishing(
    engine: Engine, anchored: Anchored, database_url: str, tmp_path: Path
) -> None:
    from wattledger_cli.main import app

    runner = CliRunner()
    offline = {"WATTLEDGER_LEDGER_SIGNING_KEY_PATH": str(anchored.key_path),
               "WATTLEDGER_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}  # never opened
    printed = runner.invoke(app, ["ledger", "public-key", "--origin", anchored.origin], env=offline)
    assert printed.exit_code == 0 and printed.output.strip() == anchored.vkey
    missing = runner.invoke(app, ["ledger", "public-key"], env={"WATTLEDGER_HOME": str(tmp_path / "empty-home")})
    assert missing.exit_code == 1 and "does not exist" in missing.output

    with engine.begin() as conn:  # committed and signed, but its publishing never happened (a crash, say)
        append_checkpointed(conn, anchored.origin, [settlement_request("c1")], anchored.key_path)
    environment = {**offline, "WATTLEDGER_DATABASE_URL": database_url,
                   "WATTLEDGER_LEDGER_CHECKPOINT_DIR": str(anchored.folder),
                   "WATTLEDGER_LEDGER_WITNESSES": f'{{"{anchored.witness_url}": "{anchored.witness_vkey}"}}'}
    caught_up = runner.invoke(app, ["ledger", "publish", "--origin", anchored.origin], env=environment)
    assert caught_up.exit_code == 0, caught_up.output
    assert f"size 3: {_note(anchored, 3)} cosigned by {WITNESS_NAME}" in caught_up.output
    again = runner.invoke(app, ["ledger", "publish", "--origin", anchored.origin], env=environment)
    assert "nothing new to publish" in again.output
    witness_key = runner.invoke(app, ["witness", "public-key", "--home", str(tmp_path / "witness"),
                                      "--name", WITNESS_NAME])
    assert witness_key.output.strip() == anchored.witness_vkey

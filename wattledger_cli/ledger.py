"""`wattledger ledger ...` commands: verify, export, prove, checkpoint, publish, public-key, balances, trial-balance.

Each opens the configured database (WATTLEDGER_DATABASE_URL, else the embedded server) and works on
the ledger named by `--origin` (default: WATTLEDGER_LEDGER_ORIGIN).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wattledger_cli.database import database_engine
from wattledger_cli.output import JsonFlag, print_rows

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(help="Audit the hash-chained ledger: verify, export, prove, checkpoint.", no_args_is_help=True)

OriginOption = Annotated[str | None, typer.Option(help="ledger origin; default WATTLEDGER_LEDGER_ORIGIN")]


@contextmanager
def _engine_and_origin(origin: str | None) -> Iterator[tuple[Engine, str, Path]]:
    from settings import Settings

    settings = Settings()
    with database_engine(settings) as engine:
        yield engine, origin or settings.ledger_origin, settings.signing_key_path


def _print_json(value: object) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


@app.command("verify")
def verify_command(
    origin: OriginOption = None,
    checkpoint: Annotated[list[Path] | None, typer.Option(
        "--checkpoint", help="a published checkpoint note the ledger must extend (repeatable)")] = None,
    witness_key: Annotated[list[str] | None, typer.Option(
        "--witness-key", help="a witness vkey whose cosignature every --checkpoint must carry (repeatable)")] = None,
    vkey: Annotated[list[str] | None, typer.Option(
        help="ledger key trusted for --checkpoint (repeatable); default: the key file's (`ledger public-key`)")] = None,
) -> None:
    """Replay the live ledger, diff posting rows against the hashed bytes, check every checkpoint, and check that the
    ledger extends each published checkpoint given with --checkpoint."""
    from ledger import SigningKeyError, ledger_vkey, roots_at, verify_ledger
    from ledger.verifier import PublishedCheckpointError, extension_failure, read_published

    if witness_key and not checkpoint:
        raise typer.BadParameter("--witness-key checks the cosignatures of --checkpoint files; give at least one")
    with _engine_and_origin(origin) as (engine, name, key_path):
        published = []
        if checkpoint:
            try:
                trusted = list(vkey or [ledger_vkey(name, key_path)])
                published = [read_published(path, trusted, list(witness_key or [])) for path in checkpoint]
            except SigningKeyError as error:
                typer.echo(f"Error: {error}; give the ledger's key with --vkey", err=True)
                raise typer.Exit(2) from None
            except PublishedCheckpointError as error:
                typer.echo(f"FAIL origin={name} published checkpoint: {error}")
                raise typer.Exit(1) from None
        with engine.connect() as conn:
            report = verify_ledger(conn, name)
            count, roots = roots_at(conn, name, [item.tree_size for item in published])
    if report.ok:
        for item in published:
            failure = extension_failure(item, name, count, roots)
            if failure is not None:
                typer.echo(f"FAIL origin={name} seq={failure[0]} reason={failure[1]}")
                raise typer.Exit(1)
        # published= counts the --checkpoint notes the ledger was found to extend; without any, `published=0` read as
        # if nothing had been published, so it is left out.
        extends = f" published={len(published)}" if published else ""
        typer.echo(f"OK origin={name} entries={report.entries_checked}{extends}")
        return
    typer.echo(f"FAIL origin={name} seq={report.first_bad_seq} reason={report.reason}")
    raise typer.Exit(1)


@app.command("public-key")
def public_key_command(origin: OriginOption = None, key: Path | None = None) -> None:
    """Print the ledger's verifier key (vkey), read from the signing key file; no database is opened. Auditors pass
    it to `python -m ledger.verifier --vkey` and witnesses to `wattledger witness serve --log-vkey`."""
    from ledger import SigningKeyError, ledger_vkey
    from settings import Settings

    settings = Settings()
    try:
        typer.echo(ledger_vkey(origin or settings.ledger_origin, key or settings.signing_key_path))
    except SigningKeyError as error:
        typer.echo(f"Error: {error} (WATTLEDGER_LEDGER_SIGNING_KEY_PATH names the key file)", err=True)
        raise typer.Exit(1) from None


@app.command("publish")
def publish_command(origin: OriginOption = None) -> None:
    """Publish the signed checkpoints not yet published: witnesses' cosignatures (WATTLEDGER_LEDGER_WITNESSES) and one
    note file each in the checkpoint folder (WATTLEDGER_LEDGER_CHECKPOINT_DIR). Each posting batch does this itself;
    this catches up after a witness or the folder was unavailable."""
    from ledger import PublishedCheckpointNotExtended, publish_checkpoints
    from settings import Settings

    settings = Settings()
    with _engine_and_origin(origin) as (engine, name, _), engine.connect() as conn:
        try:
            published = publish_checkpoints(conn, name, settings.checkpoint_publish_dir, settings.ledger_witnesses)
        except PublishedCheckpointNotExtended as error:
            typer.echo(f"FAIL {error}", err=True)
            raise typer.Exit(1) from None
    for item in published:
        typer.echo(f"size {item.tree_size}: {item.path or '(no new file)'} cosigned by {', '.join(item.witnesses) or 'no witness'}")
    if not published:
        typer.echo("nothing new to publish")


@app.command("export")
def export_command(directory: Path, origin: OriginOption = None) -> None:
    """Write entries (canonical bytes), chain, checkpoints, keys, postings.parquet and the issued invoices and
    credit notes (documents/, checked against the ledger's document hashes) into DIRECTORY."""
    from invoicing import export_documents
    from ledger import export_ledger

    with _engine_and_origin(origin) as (engine, name, _), engine.begin() as conn:
        size = export_ledger(conn, name, directory)
        documents = export_documents(conn, directory / "documents")
    typer.echo(f"exported {size} entries of {name} and {documents} documents to {directory};"
               f" check with: python -m ledger.verifier {directory} --vkey \"$(wattledger ledger public-key)\""
               " [--checkpoint <published note>]")


@app.command("prove")
def prove_command(seq: int, tree_size: int | None = None, origin: OriginOption = None) -> None:
    """Print an inclusion proof of entry SEQ against a signed checkpoint (JSON)."""
    from ledger import prove_inclusion

    with _engine_and_origin(origin) as (engine, name, _), engine.connect() as conn:
        proof = prove_inclusion(conn, name, seq, tree_size)
    _print_json(dataclasses.asdict(proof))


@app.command("consistency-proof")
def consistency_proof_command(
    old: Annotated[int, typer.Option("--old", min=1, help="size of the older signed checkpoint")],
    new: Annotated[int | None, typer.Option("--new", min=1, help="size of the newer one; default the latest")] = None,
    origin: OriginOption = None,
) -> None:
    """Print the RFC 9162 consistency proof between two signed checkpoints (JSON, with both notes).

    Check it without the database: python -m ledger.verifier.consistency PROOF.json --vkey VKEY.
    """
    from common.errors import DomainError
    from ledger import prove_consistency

    with _engine_and_origin(origin) as (engine, name, _), engine.connect() as conn:
        try:
            proof = prove_consistency(conn, name, old, new)
        except DomainError as error:  # no such checkpoint, sizes that shrink, entries no longer matching
            typer.echo(f"Error: {error}", err=True)
            raise typer.Exit(1) from error
    _print_json(dataclasses.asdict(proof))


@app.command("checkpoint")
def checkpoint_command(origin: OriginOption = None, key: Path | None = None) -> None:
    """Sign the current head with the ledger key (WATTLEDGER_LEDGER_SIGNING_KEY_PATH; created 0600) and publish it."""
    from ledger import publish_checkpoints_after_commit, sign_checkpoint
    from settings import Settings

    settings = Settings()
    with _engine_and_origin(origin) as (engine, name, key_path):
        with engine.begin() as conn:
            checkpoint = sign_checkpoint(conn, name, key or key_path)
        publish_checkpoints_after_commit(engine, name, settings.checkpoint_publish_dir, settings.ledger_witnesses)
    typer.echo(checkpoint.signed_note, nl=False)
    typer.echo(f"vkey: {checkpoint.vkey}")


@app.command("balances")
def balances_command(
    origin: OriginOption = None,
    prefix: Annotated[str, typer.Option(help="account path prefix, e.g. tenant:acme:")] = "",
    as_of_seq: int | None = None,
    as_of_recorded: Annotated[datetime | None, typer.Option(help="ISO instant with offset")] = None,
    as_of_effective: Annotated[datetime | None, typer.Option(help="ISO instant with offset")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Account balances (minor units) as of a seq, a recorded time or an effective time."""
    from ledger.balances import balances

    for instant in (as_of_recorded, as_of_effective):
        if instant is not None and instant.tzinfo is None:
            raise typer.BadParameter("instants need an offset, e.g. 2026-02-01T00:00:00+00:00")
    with _engine_and_origin(origin) as (engine, name, _), engine.connect() as conn:
        rows = balances(conn, name, as_of_seq=as_of_seq, as_of_recorded_utc=as_of_recorded,
                        as_of_effective_utc=as_of_effective, path_prefix=prefix)
    print_rows([dataclasses.asdict(row) for row in rows], as_json, title="balances (minor units)",
               columns=["path", "asset_code", "normal_side", "posted_minor", "pending_debits_minor",
                        "pending_credits_minor"])


@app.command("trial-balance")
def trial_balance_command(origin: OriginOption = None, as_of_seq: int | None = None, as_json: JsonFlag = False) -> None:
    """Per asset, the debit and credit balance totals; exits 1 if any asset does not balance."""
    from ledger.balances import trial_balance

    with _engine_and_origin(origin) as (engine, name, _), engine.connect() as conn:
        lines = trial_balance(conn, name, as_of_seq=as_of_seq)
    rows = [{**dataclasses.asdict(line), "check": "ok" if line.balanced else "UNBALANCED"} for line in lines]
    print_rows(rows, as_json, title="trial balance (minor units)",
               columns=["asset_code", "debit_balances_minor", "credit_balances_minor", "check"])
    if not all(line.balanced for line in lines):
        raise typer.Exit(1)


@app.command("statement")
def statement_command(
    tenant_id: str,
    from_utc: Annotated[datetime, typer.Option("--from", help="ISO instant with offset (inclusive)")],
    to_utc: Annotated[datetime, typer.Option("--to", help="ISO instant with offset (exclusive)")],
    origin: OriginOption = None,
) -> None:
    """A tenant's posted legs in [--from, --to) with opening and closing balances (minor units)."""
    from ledger.balances import tenant_statement

    if from_utc.tzinfo is None or to_utc.tzinfo is None:
        raise typer.BadParameter("instants need an offset, e.g. 2026-02-01T00:00:00+00:00")
    with _engine_and_origin(origin) as (engine, name, _), engine.connect() as conn:
        result = tenant_statement(conn, name, tenant_id, from_utc, to_utc)
    for row in result.opening:
        typer.echo(f"opening {row.path:<40} {row.asset_code:<8} {row.posted_minor:>20}")
    for line in result.lines:
        typer.echo(f"seq {line.seq:<8} {line.effective_at_utc.isoformat()} {line.kind:<12} {line.account_path:<40}"
                   f" {line.asset_code:<8} {line.amount_minor:>20}")
    for row in result.closing:
        typer.echo(f"closing {row.path:<40} {row.asset_code:<8} {row.posted_minor:>20}")

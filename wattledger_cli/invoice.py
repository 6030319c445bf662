"""`wattledger invoice ...`: verify signed PDFs, keys, list, credit notes, cancel-and-rebill.

`wattledger invoice access ...` mints credentials (bearer tokens, API keys).

Database commands open the configured database (WATTLEDGER_DATABASE_URL, else the embedded server).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wattledger_cli import access_users
from wattledger_cli.database import database_engine
from wattledger_cli.output import JsonFlag, print_rows

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from settings import Settings

app = typer.Typer(help="Invoices: verify signatures, list, credit notes, cancel-and-rebill.", no_args_is_help=True)
access_app = typer.Typer(help="Credentials: bearer tokens and API keys with roles.", no_args_is_help=True)
app.add_typer(access_app, name="access")
access_app.add_typer(access_users.app, name="user")  # user accounts: wattledger access user ...

KeyOption = Annotated[Path | None, typer.Option(help="trusted Ed25519 key (PEM, public or private); "
                                                        "default: the configured signing key")]


def _settings() -> Settings:
    from settings import Settings

    return Settings()


@contextmanager
def _engine() -> Iterator[tuple[Engine, Settings]]:
    settings = _settings()
    with database_engine(settings) as engine:
        yield engine, settings


def _print_json(value: object) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


@app.command("verify")
def verify_command(file: Annotated[Path, typer.Argument(help="invoice PDF or JSON", exists=True, dir_okay=False)],
                   public_key: KeyOption = None) -> None:
    """Check a PDF's embedded Ed25519 signature, or a JSON document's sha256 against the stored invoice.

    PDF: scheme wattledger-pdf-ed25519-v1 against the trusted key. JSON: the file must be the RFC 8785
    canonical form of itself and hash to the `document_sha256_hex` recorded for its invoice id.
    """
    if file.suffix.lower() == ".json":
        _verify_json_document(file)
        return
    from invoicing import SignatureInvalid, load_public_key, verify_signed_pdf

    key = load_public_key(public_key or _settings().signing_key_path)
    try:
        check = verify_signed_pdf(file.read_bytes(), key, str(file))
    except SignatureInvalid as error:
        typer.echo(f"FAIL {error}")
        raise typer.Exit(1) from error
    typer.echo(f"OK {file} key={check.key_id} signed_bytes={check.signed_bytes} sha256={check.signed_sha256_hex}")


def _verify_json_document(file: Path) -> None:
    import hashlib

    from common.canonical_json import canonical_bytes
    from invoicing import stored_document_sha256_hex

    data = file.read_bytes()
    document = json.loads(data)
    sha256_hex = hashlib.sha256(data).hexdigest()
    if canonical_bytes(document) != data:
        typer.echo(f"FAIL {file}: not in RFC 8785 canonical form, so it is not the document as issued")
        raise typer.Exit(1)
    document_id = document.get("invoice_id") if document.get("kind") == "invoice" else document.get("credit_note_id")
    with _engine() as (engine, _), engine.connect() as conn:
        stored = stored_document_sha256_hex(conn, str(document_id))
    if stored != sha256_hex:
        typer.echo(f"FAIL {file}: sha256 {sha256_hex}, recorded for {document_id}: {stored}")
        raise typer.Exit(1)
    typer.echo(f"OK {file} {document_id} sha256={sha256_hex}")


@app.command("keygen")
def keygen_command(path: Annotated[Path | None, typer.Argument()] = None) -> None:
    """Create the Ed25519 signing key (never overwrites); default path: the configured signing key."""
    from invoicing import generate_signing_key, key_id_of

    target = path or _settings().signing_key_path
    if target.exists():
        typer.echo(f"{target} exists; not overwritten")
        raise typer.Exit(1)
    typer.echo(f"created {target} key={key_id_of(generate_signing_key(target).public_key())}")


@app.command("public-key")
def public_key_command(path: Annotated[Path | None, typer.Argument()] = None) -> None:
    """Print the public key (PEM) that tenants and auditors use with `verify --public-key`."""
    from invoicing import load_public_key, public_key_pem

    typer.echo(public_key_pem(load_public_key(path or _settings().signing_key_path)).decode().rstrip())


@app.command("list")
def list_command(tenant: str | None = None, cycle: str | None = None,
                 limit: Annotated[int, typer.Option(min=1, max=500)] = 100, as_json: JsonFlag = False) -> None:
    """List invoices, newest first, with totals in cents and what was credited."""
    from invoicing import list_invoice_summaries

    with _engine() as (engine, _), engine.connect() as conn:
        rows = [dataclasses.asdict(item) for item in list_invoice_summaries(conn, tenant, cycle, limit)]
    print_rows(rows, as_json, title="invoices", columns=["invoice_id", "number", "tenant_id", "cycle_id", "status",
                                                         "total_usd_cents", "credited_usd_cents", "issued_at_utc",
                                                         "replaces_invoice_id"])


@app.command("credit-note")
def credit_note_command(invoice_id: str, amount_usd_cents: Annotated[int, typer.Option(min=1)],
                        reason: Annotated[str, typer.Option()],
                        idempotency_key: Annotated[str, typer.Option()]) -> None:
    """Issue a signed credit note against a final invoice (idempotent on --idempotency-key)."""
    from invoicing import credit_invoice_posted, documents_root_for
    from ledger import publish_checkpoints_after_commit

    with _engine() as (engine, settings):
        with engine.begin() as conn:
            note = credit_invoice_posted(conn, settings.ledger_origin, invoice_id, amount_usd_cents, reason,
                                         idempotency_key, settings.signing_key_path,
                                         documents_root_for(settings.data_root_uri))
        publish_checkpoints_after_commit(engine, settings.ledger_origin, settings.checkpoint_publish_dir,
                                         settings.ledger_witnesses)
    _print_json(dataclasses.asdict(note))


@app.command("cancel-rebill")
def cancel_rebill_command(invoice_id: str, reason: Annotated[str, typer.Option()]) -> None:
    """Cancel a final invoice (crediting what is left) and issue its replacement from current settlement lines."""
    from invoicing import cancel_and_rebill_posted, documents_root_for
    from ledger import publish_checkpoints_after_commit

    with _engine() as (engine, settings):
        with engine.begin() as conn:
            rebill = cancel_and_rebill_posted(conn, settings.ledger_origin, invoice_id, reason,
                                              settings.signing_key_path, documents_root_for(settings.data_root_uri))
        publish_checkpoints_after_commit(engine, settings.ledger_origin, settings.checkpoint_publish_dir,
                                         settings.ledger_witnesses)
    _print_json(dataclasses.asdict(rebill))


RoleOption = Annotated[list[str], typer.Option("--role", help="operator, finance, auditor, tenant, ingest (repeat)")]


# `--tenant`/`--campus` as in `access user add` (the documented spelling); `--tenant-id`/`--campus-id` still work.
CampusOption = Annotated[list[str] | None, typer.Option(
    "--campus", "--campus-id", help="with --role tenant: a campus billing the tenant that it may see (repeat for several)")]
TenantOption = Annotated[str | None, typer.Option("--tenant", "--tenant-id", help="tenant id (with --role tenant)")]


@access_app.command("token")
def token_command(subject: str, role: RoleOption, tenant_id: TenantOption = None, campus_id: CampusOption = None,
                  hours: Annotated[int, typer.Option(min=1, max=720)] = 12) -> None:
    """Print a signed bearer token (EdDSA JWT) for SUBJECT with the given roles."""
    from api.auth import mint_token

    typer.echo(mint_token(_settings(), subject, role, tenant_id, timedelta(hours=hours), campus_id or ()))


@access_app.command("api-key")
def api_key_command(subject: str, role: RoleOption, tenant_id: TenantOption = None,
                    campus_id: CampusOption = None) -> None:
    """Create an API key (stored hashed) and print it once."""
    from api.auth import create_api_key

    with _engine() as (engine, _), engine.begin() as conn:
        typer.echo(create_api_key(conn, subject, role, tenant_id, campus_id or ()))


@access_app.command("revoke")
def revoke_command(key_id: str) -> None:
    """Revoke an API key by its id (the 12 characters after `wlk_`)."""
    from api.auth import revoke_api_key

    with _engine() as (engine, _), engine.begin() as conn:
        if not revoke_api_key(conn, key_id):
            typer.echo(f"no active key {key_id}")
            raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")

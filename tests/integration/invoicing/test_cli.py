"""`wattledger invoice verify` accepts an issued PDF and rejects a tampered one; `access` mints usable credentials."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from api.auth import principal_from_api_key, principal_from_token
from invoicing import issue_invoices, load_public_key
from tests.integration.invoicing.conftest import SeededCycle
from wattledger_cli.invoice import app


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("WATTLEDGER_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_verify_accepts_an_issued_pdf_and_rejects_a_changed_one(
    engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, documents_root: str,
    tmp_path: Path
) -> None:
    """Exit 0 and the key id for the file as issued; exit 1 naming the mismatch after one byte changes."""
    with engine.begin() as conn:
        invoice = issue_invoices(conn, seeded_cycle.cycle_id, issuer, signing_key_path, documents_root)[0]
    assert invoice.pdf_uri is not None
    runner = CliRunner()
    good = runner.invoke(app, ["verify", invoice.pdf_uri, "--public-key", str(signing_key_path)])
    assert good.exit_code == 0, good.output
    assert good.output.startswith("OK ") and "key=" in good.output
    tampered = tmp_path / "tampered.pdf"
    data = bytearray(Path(invoice.pdf_uri).read_bytes())
    data[100] ^= 0x20
    tampered.write_bytes(bytes(data))
    bad = runner.invoke(app, ["verify", str(tampered), "--public-key", str(signing_key_path)])
    assert bad.exit_code == 1 and "does not match" in bad.output


def test_access_token_and_api_key_authenticate(engine: Engine, cli_env: Path) -> None:
    """A printed token verifies with the home's token key; a printed API key resolves to its subject and role."""
    from api.auth import token_key_path
    from settings import Settings

    runner = CliRunner()
    token = runner.invoke(app, ["access", "token", "fiona", "--role", "finance", "--hours", "1"])
    assert token.exit_code == 0, token.output
    public_key = load_public_key(token_key_path(Settings()))
    principal = principal_from_token(token.output.strip(), public_key)
    assert principal is not None and principal.subject == "fiona" and principal.roles == {"finance"}
    created = runner.invoke(app, ["access", "api-key", "tenant-bot", "--role", "tenant", "--tenant-id", "t1",
                                  "--campus-id", "north", "--campus-id", "south"])
    assert created.exit_code == 0, created.output
    with engine.connect() as conn:
        key_principal = principal_from_api_key(conn, created.output.strip())
    assert key_principal is not None and (key_principal.subject, key_principal.tenant_id) == ("tenant-bot", "t1")
    assert key_principal.campus_ids == {"north", "south"}
    unbound = runner.invoke(app, ["access", "token", "tenant-bot", "--role", "tenant", "--tenant-id", "t1"])
    assert unbound.exit_code != 0 and "campus_ids" in unbound.output + str(unbound.exception)


def test_access_token_takes_tenant_and_campus_as_user_add_spells_them(cli_env: Path) -> None:
    """`--tenant`/`--campus` (as `access user add` spells them) bind a token exactly as `--tenant-id`/`--campus-id`."""
    from api.auth import token_key_path
    from settings import Settings

    token = CliRunner().invoke(app, ["access", "token", "acme-portal", "--role", "tenant", "--tenant", "acme",
                                     "--campus", "north", "--campus-id", "south", "--hours", "1"])
    assert token.exit_code == 0, token.output
    principal = principal_from_token(token.output.strip(), load_public_key(token_key_path(Settings())))
    assert principal is not None and (principal.tenant_id, principal.campus_ids) == ("acme", {"north", "south"})


def test_verify_checks_a_json_document_against_the_recorded_hash(
    engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, documents_root: str,
    cli_env: Path, tmp_path: Path
) -> None:
    """The issued JSON verifies; the same document with a changed total (re-canonicalised) fails on the hash."""
    import json

    from common.canonical_json import canonical_bytes as canonical_document_bytes

    with engine.begin() as conn:
        invoice = issue_invoices(conn, seeded_cycle.cycle_id, issuer, signing_key_path, documents_root)[0]
    issued_json = Path(documents_root) / "invoices" / issuer / f"{invoice.invoice_id}.json"
    runner = CliRunner()
    good = runner.invoke(app, ["verify", str(issued_json)])
    assert good.exit_code == 0, good.output
    assert invoice.document_sha256_hex in good.output
    document = json.loads(issued_json.read_bytes())
    document["total_usd_cents"] -= 1
    forged = tmp_path / "forged.json"
    forged.write_bytes(canonical_document_bytes(document))
    bad = runner.invoke(app, ["verify", str(forged)])
    assert bad.exit_code == 1 and "recorded for" in bad.output

"""The read-only ledger API routes and the `wattledger ledger` commands, over a real database."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from api.app import create_app
from api.principal import Principal
from settings import Settings


def _client(engine: Engine, database_url: str, origin: str, principal: Principal) -> httpx.AsyncClient:
    settings = Settings(database_url=database_url, ledger_origin=origin)
    app = create_app(settings, engine, None, authenticate=lambda request: principal)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
def client(engine: Engine, database_url: str, signed_ledger) -> httpx.AsyncClient:
    origin, _ = signed_ledger
    return _client(engine, database_url, origin, Principal("auditor-1", frozenset({"auditor"})))


async def test_entries_page_and_balances(client: httpx.AsyncClient) -> None:
    """Entries page by seq with their hashed bytes; balances are strings of minor units that net to zero."""
    page = (await client.get("/ledger/entries", params={"after_seq": 2, "limit": 3})).json()
    assert [entry["seq"] for entry in page["entries"]] == [3, 4, 5] and page["next_after_seq"] == 5
    assert page["entries"][0]["document"]["seq"] == "3"
    balances = (await client.get("/ledger/balances", params={"prefix": "tenant:acme:"})).json()["balances"]
    receivable = next(row for row in balances if row["path"] == "tenant:acme:receivable")
    assert receivable["posted_minor"] == str(sum(1_000_000 + n for n in (2, 3, 4, 5, 6, 7, 9, 10)))
    early = (await client.get("/ledger/balances", params={"as_of_seq": 2, "prefix": "tenant:acme:receivable"})).json()
    assert early["balances"][0]["posted_minor"] == "1000002"


async def test_checkpoints_and_proofs(client: httpx.AsyncClient) -> None:
    """Checkpoints list newest first; inclusion and consistency proofs come back for signed sizes."""
    checkpoints = (await client.get("/ledger/checkpoints")).json()["checkpoints"]
    assert [c["tree_size"] for c in checkpoints] == [8]
    proof = (await client.get("/ledger/proofs/inclusion/4")).json()
    assert proof["tree_size"] == 8 and proof["leaf_index"] == 3 and len(proof["proof_hex"]) == 3
    missing = await client.get("/ledger/proofs/consistency", params={"from_size": 8, "to_size": 10})
    assert missing.status_code == 404


async def test_bad_queries_are_refused(client: httpx.AsyncClient) -> None:
    """Naive instants, two as-of bases at once and an unknown seq are client errors."""
    assert (await client.get("/ledger/balances", params={"as_of_effective_utc": "2026-01-01T00:00:00"})).status_code == 422
    assert (await client.get("/ledger/balances", params={"as_of_seq": 1, "as_of_effective_utc": "2026-01-01T00:00:00Z"})).status_code == 422
    assert (await client.get("/ledger/proofs/inclusion/999")).status_code == 404


async def test_tenants_may_not_read_the_ledger(engine: Engine, database_url: str, signed_ledger) -> None:
    """The ledger routes are for auditor, finance and operator roles only."""
    origin, _ = signed_ledger
    async with _client(engine, database_url, origin, Principal("t", frozenset({"tenant"}), "acme")) as tenant:
        assert (await tenant.get("/ledger/entries")).status_code == 403


def test_cli_checkpoint_verify_prove_export_balances(
    database_url: str, signed_ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`wattledger ledger checkpoint|verify|prove|export|trial-balance|balances` against the ledger."""
    from wattledger_cli.ledger import app

    origin, key_path = signed_ledger
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("WATTLEDGER_LEDGER_ORIGIN", origin)
    monkeypatch.setenv("WATTLEDGER_LEDGER_SIGNING_KEY_PATH", str(key_path))
    runner = CliRunner()
    checkpoint = runner.invoke(app, ["checkpoint"])
    assert checkpoint.exit_code == 0 and checkpoint.output.startswith(f"{origin}\n10\n")
    verify = runner.invoke(app, ["verify"])
    assert verify.exit_code == 0 and verify.output.strip() == f"OK origin={origin} entries=10"
    prove = runner.invoke(app, ["prove", "9"])
    assert prove.exit_code == 0 and '"tree_size": 10' in prove.output
    export = runner.invoke(app, ["export", str(tmp_path / "out")])
    assert export.exit_code == 0 and (tmp_path / "out" / "entries.jsonl").exists()
    trial = runner.invoke(app, ["trial-balance"])
    assert trial.exit_code == 0 and trial.output.count(" ok") == 3
    balances = runner.invoke(app, ["balances", "--prefix", "campus:a:generation", "--json"])
    assert balances.exit_code == 0, balances.output
    # Eight settlement entries each credit generation with 1,000 Wh (MWH/6 minor units are micro-MWh = Wh).
    assert [(row["path"], row["asset_code"], int(row["posted_minor"])) for row in json.loads(balances.output)] \
        == [("campus:a:generation:gt1", "MWH/6", -8 * 1_000)]
    statement = runner.invoke(app, ["statement", "acme", "--from", "2026-01-01T00:00:00+00:00",
                                    "--to", "2026-02-01T00:00:00+00:00"])
    assert statement.exit_code == 0 and statement.output.count("seq ") == 8 * 3


async def test_statement_route_lets_a_tenant_read_only_its_own(engine: Engine, database_url: str, signed_ledger) -> None:
    """Tenant acme reads its statement; another tenant gets 404; amounts are strings."""
    origin, _ = signed_ledger
    period = {"from_utc": "2026-01-01T00:00:00Z", "to_utc": "2026-02-01T00:00:00Z"}
    # acme is a tenant of no campus in this ledger-only fixture; its credential names one campus, as all do.
    acme_principal = Principal("t", frozenset({"tenant"}), "acme", frozenset({"a"}))
    async with _client(engine, database_url, origin, acme_principal) as acme:
        own = await acme.get("/ledger/statements/acme", params=period)
        other = await acme.get("/ledger/statements/zeta", params=period)
    assert own.status_code == 200 and other.status_code == 404
    receivable = [line for line in own.json()["lines"] if line["account_path"] == "tenant:acme:receivable"]
    assert [line["amount_minor"] for line in receivable] == [str(1_000_000 + n) for n in (2, 3, 4, 5, 6, 7, 9, 10)]

"""Fixtures for ledger integration tests: a fresh ledger per test with a small chart of accounts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from ledger import AccountSpec, ensure_ledger, open_accounts

PERIOD_START_UTC = datetime(2026, 1, 1, tzinfo=UTC)

CHART = (
    AccountSpec("tenant:acme:receivable", "USD/6", "debit"),
    AccountSpec("campus:a:revenue:energy", "USD/6", "credit"),
    AccountSpec("tenant:acme:consumption", "MWH/6", "debit"),
    AccountSpec("campus:a:generation:gt1", "MWH/6", "credit"),
    AccountSpec("tenant:acme:emissions", "TCO2E/6", "debit"),
    AccountSpec("campus:a:emissions:gt1", "TCO2E/6", "credit"),
    AccountSpec("campus:a:cash", "USD/6", "debit", must_not_go_negative=True),
    AccountSpec("campus:a:equity", "USD/6", "credit"),
)


@pytest.fixture
def origin(engine: Engine) -> str:
    name = f"test.wattledger/{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        ensure_ledger(conn, name)
        open_accounts(conn, name, CHART)
    return name


def settlement_request(key: str, usd_micros: int = 5_000_000, energy_wh: int = 1_000, grams: int = 400):
    """A balanced three-asset settlement entry: receivable/revenue, consumption/generation, emissions."""
    from ledger import EntryRequest, PostingRequest

    return EntryRequest(
        idempotency_key=key,
        effective_at_utc=PERIOD_START_UTC,
        postings=[
            PostingRequest("tenant:acme:receivable", "USD/6", usd_micros),
            PostingRequest("campus:a:revenue:energy", "USD/6", -usd_micros),
            PostingRequest("tenant:acme:consumption", "MWH/6", energy_wh),
            PostingRequest("campus:a:generation:gt1", "MWH/6", -energy_wh),
            PostingRequest("tenant:acme:emissions", "TCO2E/6", grams),
            PostingRequest("campus:a:emissions:gt1", "TCO2E/6", -grams),
        ],
        meta={"cycle_id": "cycle:a:2026-01"},
    )


@pytest.fixture
def signed_ledger(engine: Engine, origin: str, tmp_path):
    """seq 1 opens accounts, 2..7 are settlements, 8 rotates the key in, checkpoint at 8, then 9..10."""
    from ledger import append_entries
    from ledger.checkpoint import sign_checkpoint

    key_path = tmp_path / "ledger-key.pem"
    with engine.begin() as conn:
        append_entries(conn, origin, [settlement_request(f"s{n}", 1_000_000 + n) for n in range(2, 8)])
        checkpoint = sign_checkpoint(conn, origin, key_path)
        append_entries(conn, origin, [settlement_request(f"s{n}", 1_000_000 + n) for n in (9, 10)])
    assert checkpoint.tree_size == 8
    return origin, key_path

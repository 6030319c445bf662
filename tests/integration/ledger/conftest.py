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

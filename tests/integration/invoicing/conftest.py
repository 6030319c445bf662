"""Fixtures for invoicing integration tests: a seeded campus and cycle per test, a signing key, a documents folder."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from invoicing.signing import generate_signing_key

ROOT_DIR = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class SeededCycle:
    campus_id: str
    cycle_id: str
    tenant_ids: list[str]


# (tenant index, description, quantity_wh, rate_usd_per_mwh, amount_usd_micros)
DEFAULT_LINES: list[tuple[int, str, int, Decimal, int]] = [
    (0, "Supply energy, on-peak", 1_250_000_000, Decimal("61.250000"), 76_562_500_000),
    (0, "Supply energy, off-peak", 2_000_000_000, Decimal("38.100000"), 76_200_000_000),
    (1, "Supply energy, flat", 333_333_333, Decimal("45.000015"), 15_000_004_985),
]


def seed_cycle(engine: Engine, lines: list[tuple[int, str, int, Decimal, int]], tenant_count: int = 2) -> SeededCycle:
    """Insert a campus with `tenant_count` tenants, a January 2026 cycle and the given settlement lines."""
    suffix = uuid.uuid4().hex[:8]
    campus_id = f"campus-{suffix}"
    cycle_id = f"cycle:{campus_id}:2026-01"
    tenant_ids = [f"tenant-{index}-{suffix}" for index in range(tenant_count)]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO campus (campus_id, name, time_zone, iso) VALUES (:c, 'Campus', 'UTC', 'ERCOT')"),
                     {"c": campus_id})
        for index, tenant_id in enumerate(tenant_ids):
            conn.execute(text("INSERT INTO tenant (campus_id, tenant_id, name) VALUES (:c, :t, :n)"),
                         {"c": campus_id, "t": tenant_id, "n": f"Tenant {index} Inc."})
        conn.execute(
            text("INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc, period_end_utc, status, "
                 "workflow_id, input_uri) VALUES (:id, :c, '2026-01', :start, :end, 'approved', :id, 'file:///in')"),
            {"id": cycle_id, "c": campus_id, "start": datetime(2026, 1, 1, tzinfo=UTC),
             "end": datetime(2026, 2, 1, tzinfo=UTC)},
        )
        for line_no, (tenant_index, description, quantity_wh, rate, amount) in enumerate(lines, start=1):
            conn.execute(
                text("INSERT INTO settlement_line (cycle_id, line_no, tenant_id, description, quantity_wh, "
                     "rate_usd_per_mwh, amount_usd_micros, inputs_sha256_hex) "
                     "VALUES (:id, :n, :t, :d, :q, :r, :a, :h)"),
                {"id": cycle_id, "n": line_no, "t": tenant_ids[tenant_index], "d": description, "q": quantity_wh,
                 "r": rate, "a": amount, "h": "ab" * 32},
            )
    return SeededCycle(campus_id, cycle_id, tenant_ids)


def record_delta_settlement(conn: Connection, cycle_id: str, tenant_id: str, amount_usd_micros_delta: int) -> None:
    """Revision 1 of the cycle's settlement, as the settlement area records a corrected input: a run and a delta."""
    conn.execute(text("INSERT INTO settlement_run (cycle_id, revision, intervals_sha256_hex, result_sha256_hex, "
                      "generation_wh, grid_import_wh, export_wh, tenant_consumption_wh, shared_consumption_wh, "
                      "losses_wh, contract_versions_json, price_sha256_json) VALUES (:c, 1, :h, :h, 10, 0, 0, 10, 0, 0, "
                      "'{}', '{}')"), {"c": cycle_id, "h": "cd" * 32})
    conn.execute(text("INSERT INTO settlement_adjustment (cycle_id, revision, line_no, tenant_id, description, clause, "
                      "clause_occurrence, unit, quantity_wh_delta, rate_usd_per_mwh, amount_usd_micros_delta, "
                      "inputs_sha256_hex) VALUES (:c, 1, 1, :t, 'Supply energy', 'v0.supply_price', 0, 'MWh', 0, "
                      "45, :a, :h)"), {"c": cycle_id, "t": tenant_id, "a": amount_usd_micros_delta, "h": "cd" * 32})


@pytest.fixture
def seeded_cycle(engine: Engine) -> SeededCycle:
    return seed_cycle(engine, DEFAULT_LINES)


@pytest.fixture
def make_cycle(engine: Engine) -> Callable[..., SeededCycle]:
    return lambda lines, tenant_count=2: seed_cycle(engine, lines, tenant_count)


@pytest.fixture
def issuer() -> str:
    """A fresh issuer per test, so each test's numbering starts at 1."""
    return f"WL{uuid.uuid4().hex[:6].upper()}"


@pytest.fixture(scope="session")
def signing_key_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "invoice-ed25519.pem"
    generate_signing_key(path)
    return path


@pytest.fixture
def documents_root(tmp_path: Path) -> str:
    return str(tmp_path / "documents")


@dataclass(frozen=True)
class AppUnderTest:
    settings: Any
    app: Any
    documents_root: str


@pytest.fixture(scope="session")
def app_under_test(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> AppUnderTest:
    """The real `create_app` over the test database, with no Temporal client (cycle updates are not called)."""
    from api.app import create_app
    from settings import Settings

    home = tmp_path_factory.mktemp("home")
    settings = Settings(home=home, data_uri=str(home / "data"))
    generate_signing_key(settings.signing_key_path)
    app = create_app(settings, engine, None)
    return AppUnderTest(settings, app, f"{settings.data_root_uri}/invoices")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def asgi_client(app_under_test: AppUnderTest) -> Any:
    """An httpx client that calls the app in-process (Starlette's TestClient warns under httpx 0.28)."""
    import httpx

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app_under_test.app), base_url="http://testserver")


async def sign_in(client: Any, credential: str) -> Any:
    """Sign in as a browser does: load the login page (its form token and token cookie), then post the form."""
    import re

    page = await client.get("/finance/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None, "the login form carries no token"
    return await client.post("/finance/login", data={"credential": credential, "csrf_token": token.group(1)})

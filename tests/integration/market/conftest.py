"""Fixtures for market integration tests: a campus with a billing cycle in the session database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from devtools.fake_iso.pki import make_test_pki


@dataclass(frozen=True)
class CampusRefs:
    campus_id: str
    cycle_id: str


@pytest.fixture
def nyiso_campus(engine: Engine) -> CampusRefs:
    """A fresh NYISO campus (unique id per test) with one billing cycle for 2025-07."""
    return campus_in(engine, "NYISO")


@pytest.fixture
def ercot_campus(engine: Engine) -> CampusRefs:
    return campus_in(engine, "ERCOT")


@pytest.fixture
def pjm_campus(engine: Engine) -> CampusRefs:
    return campus_in(engine, "PJM")


def campus_in(engine: Engine, iso: str) -> CampusRefs:
    """A fresh campus in `iso` (unique id) with one billing cycle for 2025-07; its file states no ISO section,
    so submission is on."""
    campus_id = f"c-{uuid.uuid4().hex[:10]}"
    cycle_id = f"cycle:{campus_id}:2025-07"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO campus (campus_id, name, time_zone, iso) VALUES (:c, 'Test', "
                          "'America/New_York', :iso)"), {"c": campus_id, "iso": iso})
        conn.execute(text("INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc, period_end_utc,"
                          " status, workflow_id, input_uri) VALUES (:id, :c, '2025-07', :s, :e, 'running', 'wf',"
                          " 'file:///none')"),
                     {"id": cycle_id, "c": campus_id, "s": datetime(2025, 7, 1, 4, tzinfo=UTC),
                      "e": datetime(2025, 8, 1, 4, tzinfo=UTC)})
    return CampusRefs(campus_id, cycle_id)


@pytest.fixture(scope="session")
def fake_pki(tmp_path_factory: pytest.TempPathFactory):
    """A test CA with server and client certificates for mutual TLS against the fake ISO."""
    return make_test_pki(tmp_path_factory.mktemp("pki"), client_name="wl-operator")

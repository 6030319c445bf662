"""Fixtures for settlement integration tests: a fresh demo campus per test (see settlement_demo.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.integration.settlement.settlement_demo import DemoCampus, make_demo_campus


@pytest.fixture
def demo_campus(engine: Engine) -> DemoCampus:
    """A fresh demo campus (Chicago time) with a March 2026 billing cycle; its id is unique per test."""
    return make_demo_campus(engine)

"""A campus file with a battery on PostgreSQL: storage meters project (migration 0019's roles), the asset reads back,
a settlement run with storage terms records only when sources equal uses, and the section exports unchanged."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from campus import MeterRole, load_meters, load_storage_assets
from campus.file import parse_campus_text
from campus.service import apply, export_toml
from settlement.repository import insert_settlement
from settlement.types import EnergyBalance, SettlementResult
from tests.unit.storage_assets.campus_text import BASE, STORAGE


def _apply(engine: Engine) -> str:
    campus_id = f"store-{uuid.uuid4().hex[:8]}"
    text_ = (BASE + STORAGE.format(charge="BESS-CHG")).replace('id = "store"', f'id = "{campus_id}"')
    apply(engine, parse_campus_text("campus.toml", text_.encode(), None), "tester")
    return campus_id


def _cycle(engine: Engine, campus_id: str) -> str:
    cycle_id = f"cycle:{campus_id}:2026-01"
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc, period_end_utc, status, "
                 "workflow_id, input_uri) VALUES (:id, :c, '2026-01', :start, :end, 'approved', :id, 'file:///in')"),
            {"id": cycle_id, "c": campus_id, "start": datetime(2026, 1, 1, tzinfo=UTC),
             "end": datetime(2026, 2, 1, tzinfo=UTC)})
    return cycle_id


def test_storage_meters_and_the_asset_read_back(engine: Engine) -> None:
    campus_id = _apply(engine)
    with engine.connect() as conn:
        roles = {meter.meter_id: meter.role for meter in load_meters(conn, campus_id)}
        assets = load_storage_assets(conn, campus_id)
    assert roles["BESS-CHG"] == MeterRole.STORAGE_CHARGE and roles["BESS-DIS"] == MeterRole.STORAGE_DISCHARGE
    assert [(a.asset_id, a.capacity_wh_usable, a.services[0].tenant_id) for a in assets] == \
        [("bess1", 8_000_000, "alpha")]


def test_a_run_with_storage_records_its_terms_and_the_check_holds(engine: Engine) -> None:
    """Sources 10 000 + 3 000 = uses 9 000 + 3 500 + 500 losses."""
    campus_id = _apply(engine)
    cycle_id = _cycle(engine, campus_id)
    balance = EnergyBalance(0, 10_000, 0, 9_000, 0, 500, storage_charge_wh=3_500, storage_discharge_wh=3_000)
    result = SettlementResult([], balance, {}, {}, "ab" * 32)
    with engine.begin() as conn:
        assert insert_settlement(conn, cycle_id, result)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT storage_charge_wh, storage_discharge_wh, losses_wh FROM settlement_run"
                                " WHERE cycle_id = :c"), {"c": cycle_id}).one()
    assert tuple(row) == (3_500, 3_000, 500)


def test_a_run_whose_storage_terms_do_not_close_is_refused(engine: Engine) -> None:
    campus_id = _apply(engine)
    cycle_id = _cycle(engine, campus_id)
    # Losses 1 000 Wh too low: 10 000 + 3 000 != 9 000 + 3 500 + (-500).
    balance = EnergyBalance(0, 10_000, 0, 9_000, 0, -500, storage_charge_wh=3_500, storage_discharge_wh=3_000)
    with pytest.raises(IntegrityError, match="settlement_run_balance"), engine.begin() as conn:
        insert_settlement(conn, cycle_id, SettlementResult([], balance, {}, {}, "ab" * 32))


def test_the_storage_section_exports_and_applies_again_unchanged(engine: Engine) -> None:
    """`campus export` writes the section back; applying the export is no change (same document, same hash)."""
    campus_id = _apply(engine)
    with engine.connect() as conn:
        exported = export_toml(conn, campus_id)
    assert "alpha-backup" in exported and "round_trip_efficiency_permille_max = 920" in exported
    again = apply(engine, parse_campus_text("exported.toml", exported.encode(), None), "tester")
    assert (again.version, again.applied) == (1, False)

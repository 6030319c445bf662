"""Restating a settled billing cycle: the emissions kept in its settle step become version 1, the recomputation
with another factor edition version 2, and the delta is the exact difference (worked by hand for 1 MWh ERCT)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from common.errors import NotFound
from esg.reporting import cycle_versions, restate_billing_cycle
from esg.scopes import MeterRef, compute_cycle_emissions

START = datetime(2025, 7, 1, tzinfo=UTC)
END = START + timedelta(hours=1)


def test_restating_a_settled_cycle_records_the_settled_result_then_the_new_one(
    engine, campus_id, intervals_file
):
    """Settled at eGRID2022 (351,221 g), restated at eGRID2023 (336,036 g): delta -15,185 g on scope 2."""
    uri = intervals_file([("GRID1", START, 1_000_000), ("TA", START, 1_000_000)])
    meters = [MeterRef("GRID1", "grid_import"), MeterRef("TA", "tenant_consumption", "alpha")]
    settled = compute_cycle_emissions(uri, meters, "ERCT", START, END, "wl-2024.1")
    cycle_id = f"cycle:{campus_id}:2025-07"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc, period_end_utc, status,"
                " workflow_id, input_uri) VALUES (:id, :c, '2025-07', :s, :e, 'settled', 'wf', 'inbox')"
            ),
            {"id": cycle_id, "c": campus_id, "s": START, "e": END},
        )
        for step, result in (
            ("validate", {"validated_uri": uri}),
            ("settle", {"emissions": settled.to_json()}),
        ):
            conn.execute(
                text(
                    "INSERT INTO cycle_step (cycle_id, step, result_json) VALUES (:id, :step, CAST(:r AS jsonb))"
                ),
                {"id": cycle_id, "step": step, "r": json.dumps(result)},
            )
        outcome = restate_billing_cycle(conn, cycle_id, "wl-2025.1", "eGRID2023 published")
        versions = cycle_versions(conn, cycle_id)
    assert settled.campus_scope2_location_g_co2e == 351_221
    assert (outcome.status, outcome.version) == ("restated", 2)
    assert outcome.delta is not None
    assert outcome.delta.campus_g_co2e["campus_scope2_location_g_co2e"] == 336_036 - 351_221
    assert [(v["version"], v["factor_edition"], v["reason"]) for v in versions] == [
        (1, "wl-2024.1", "as settled"),
        (2, "wl-2025.1", "eGRID2023 published"),
    ]


def test_an_unknown_cycle_is_not_found(engine):
    """No billing cycle, no restatement."""
    with pytest.raises(NotFound), engine.begin() as conn:
        restate_billing_cycle(conn, "cycle:nowhere:2025-07", None, "x")

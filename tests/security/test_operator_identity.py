"""Operator actions and overrides record who is authenticated, never a name taken from the request body.

Real app, PostgreSQL and the Temporal dev server. A body naming someone else is refused (403) before anything is
sent to the workflow or stored; a body naming nobody acts as the caller, and the cancel request in the workflow's
history carries the caller's subject.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import make_url, text

from api.auth import mint_token
from demo.campus import register_demo_campus
from esg.factors import register_factor_library
from tests.faults.harness import fresh_database
from tests.fuzz.api_harness import FuzzApp, running_app

OPERATOR = "olivia.operator"


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> AsyncIterator[tuple[FuzzApp, Any]]:
    from db import make_engine

    server_url = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    with fresh_database(server_url) as url:
        engine = make_engine(url)
        with engine.begin() as conn:
            register_demo_campus(conn)
            register_factor_library(conn)
        try:
            async with running_app(tmp_path_factory.mktemp("identity") / "home", engine, url) as app:
                yield app, engine
        finally:
            engine.dispose()


def _operator(fuzz: FuzzApp) -> dict[str, str]:
    token = mint_token(fuzz.settings, OPERATOR, ["operator"], None, timedelta(minutes=10))
    return {"Authorization": f"Bearer {token}"}


async def _idle_workflow(fuzz: FuzzApp) -> Any:
    """A workflow no worker runs: its history records requests (a cancel) without anything executing them."""
    workflow_id = f"cycle:identity-{uuid.uuid4().hex[:8]}:2026-01"
    return await fuzz.app.state.temporal_client.start_workflow(
        "BillingCycleWorkflow", id=workflow_id, task_queue=f"nobody-{uuid.uuid4().hex[:8]}")


async def _cancel_causes(handle: Any) -> list[str]:
    history = await handle.fetch_history()
    return [event.workflow_execution_cancel_requested_event_attributes.cause for event in history.events
            if event.HasField("workflow_execution_cancel_requested_event_attributes")]


async def test_cancel_records_the_authenticated_operator_and_refuses_another_name(stack: tuple[FuzzApp, Any]) -> None:
    fuzz, _ = stack
    handle = await _idle_workflow(fuzz)
    try:
        url = f"/cycles/{handle.id}/cancel"
        forged = await fuzz.http.post(url, json={"operator": "someone.else"}, headers=_operator(fuzz))
        assert forged.status_code == 403, forged.text
        assert await _cancel_causes(handle) == [], "a refused cancel sends nothing to the workflow"
        cancelled = await fuzz.http.post(url, json={"reason": "wrong campus"}, headers=_operator(fuzz))
        assert cancelled.status_code == 202, cancelled.text
        assert cancelled.json()["cancel_requested_by"] == OPERATOR
        assert await _cancel_causes(handle) == [f"cancel requested by {OPERATOR}: wrong campus"]
    finally:
        await handle.terminate("test done")


@pytest.mark.parametrize("path", ["retry", "resettle", "corrections"])
async def test_operator_actions_naming_someone_else_are_refused(stack: tuple[FuzzApp, Any], path: str) -> None:
    fuzz, _ = stack
    response = await fuzz.http.post(f"/cycles/cycle:demo-campus:2026-01/{path}", json={"operator": "someone.else"},
                                    headers=_operator(fuzz))
    assert response.status_code == 403, response.text
    assert "cannot act on behalf of someone.else" in response.text


async def test_a_factor_override_records_the_caller_as_its_approver(stack: tuple[FuzzApp, Any]) -> None:
    fuzz, engine = stack
    body = {"override_id": "identity-ovr", "campus_id": "demo-campus", "meter_id": "GT1-FUEL", "kind": "stack_test",
            "parameter": "co2_kg_per_mmbtu", "value": "53.06", "valid_from": "2026-01-01", "reason": "stack test"}
    forged = await fuzz.http.post("/esg/overrides", json={**body, "approved_by": "the.director"},
                                  headers=_operator(fuzz))
    assert forged.status_code == 403, forged.text
    created = await fuzz.http.post("/esg/overrides", json=body, headers=_operator(fuzz))
    assert created.status_code == 201, created.text
    with engine.connect() as conn:
        approvers = conn.execute(text("SELECT approved_by FROM esg_factor_override WHERE override_id LIKE 'identity%'"
                                      )).scalars().all()
    assert approvers == [OPERATOR]

"""`wattledger cycle ...`: operator and finance commands against a running Temporal and database."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from temporalio.client import Client
    from temporalio.workflow import UpdateMethodMultiParam

    from settings import Settings
    from workflows.approvals import Decision, Rejection
    from workflows.billing_cycle import BillingCycleWorkflow
    from workflows.billing_cycle_types import CycleStatus
    from workflows.cycle_correction import CycleCorrectionWorkflow
    from workflows.cycle_correction_types import CorrectionStatus

app = typer.Typer(help="Billing cycles: start, inspect, approve, reject, settle again, cancel, correct.",
                  no_args_is_help=True)
T = TypeVar("T")
A = TypeVar("A")
S = TypeVar("S", "Decision", "Rejection")


def with_client(action: Callable[[Client, Engine, Settings], Awaitable[T]]) -> T:
    from db import make_engine, resolve_database_url
    from runtime.temporal import connect
    from settings import Settings

    settings = Settings()
    address = settings.temporal_address or f"127.0.0.1:{settings.temporal_port}"

    async def run() -> T:
        client = await connect(address, settings.temporal_namespace, settings)
        engine = make_engine(resolve_database_url(settings))
        try:
            return await action(client, engine, settings)
        finally:
            engine.dispose()

    return asyncio.run(run())


def _print(value: object) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


@app.command("start")
def start(campus_id: str, period: str) -> None:
    """Start (or find) the cycle of CAMPUS_ID for PERIOD (YYYY-MM) from the campus inbox."""
    from workflows.billing_cycle_start import start_cycle

    started = with_client(lambda client, engine, settings: start_cycle(client, engine, settings, campus_id, period))
    _print(dataclasses.asdict(started))


@app.command("status")
def status(cycle_id: str, step: str = typer.Option(None, help="print this step's full result instead, e.g. "
                                                               "validate (the VEE report), settle, invoice")) -> None:
    """Print the cycle's recorded status and a summary of each step (as `GET /cycles/{id}`), or one step in full."""
    from billing import repository as repo
    from billing.cycle_summary import cycle_summary

    async def action(client: Client, engine: Engine, settings: Settings) -> dict[str, Any]:
        with engine.connect() as conn:
            if step is not None:
                return repo.load_step(conn, cycle_id, step)
            return cycle_summary(repo.load_cycle(conn, cycle_id), None)

    _print(with_client(action))


@app.command("list")
def list_cycles(state: str = typer.Option(None, help="only cycles in this status")) -> None:
    """List cycles, newest first, optionally by status (e.g. awaiting_approval, failed)."""
    from billing import repository as repo

    async def action(client: Client, engine: Engine, settings: Settings) -> list[dict[str, Any]]:
        with engine.connect() as conn:
            return repo.list_cycles(conn, state, 500)

    _print(with_client(action))


def _update(cycle_id: str, update: UpdateMethodMultiParam[[BillingCycleWorkflow, A], CycleStatus],
            argument: A) -> None:
    from workflows.billing_cycle import BillingCycleWorkflow

    async def action(client: Client, engine: Engine, settings: Settings) -> CycleStatus:
        handle = client.get_workflow_handle_for(BillingCycleWorkflow.run, cycle_id)
        return await handle.execute_update(update, argument)

    _print(dataclasses.asdict(with_client(action)))


def _decide(cycle_id: str, update: UpdateMethodMultiParam[[BillingCycleWorkflow, S], CycleStatus],
            decision: S) -> None:
    """Sign `decision` with the approval key for the cycle's current settlement version and send it: only a
    machine holding that key decides from the command line (workflows/approvals.py)."""
    from runtime.decisions import decide_cycle

    _print(dataclasses.asdict(with_client(
        lambda client, engine, settings: decide_cycle(client, settings, cycle_id, update, decision))))


@app.command("approve")
def approve(cycle_id: str, approver: str = typer.Option(...), comment: str = "") -> None:
    """Approve as finance (the same workflow update the API and the finance page use), signed with the approval key."""
    from workflows.approvals import Decision
    from workflows.billing_cycle import BillingCycleWorkflow

    _decide(cycle_id, BillingCycleWorkflow.approve, Decision(approver, "finance", comment))


@app.command("reject")
def reject(cycle_id: str, approver: str = typer.Option(...), reason: str = typer.Option(...)) -> None:
    """Reject as finance, signed with the approval key; the cycle goes to rework."""
    from workflows.approvals import Rejection
    from workflows.billing_cycle import BillingCycleWorkflow

    _decide(cycle_id, BillingCycleWorkflow.reject, Rejection(approver, "finance", reason))


@app.command("resettle")
def resettle(cycle_id: str, operator: str = typer.Option(...)) -> None:
    """After corrections, settle a reworked cycle again; approval starts over."""
    from workflows.billing_cycle import BillingCycleWorkflow

    _update(cycle_id, BillingCycleWorkflow.resettle, operator)


@app.command("retry")
def retry(cycle_id: str, operator: str = typer.Option(...)) -> None:
    """Run a failed cycle's failed step again (after fixing its input); idempotent on business keys."""
    from workflows.billing_cycle import BillingCycleWorkflow

    _update(cycle_id, BillingCycleWorkflow.retry, operator)


@app.command("cancel")
def cancel(cycle_id: str) -> None:
    """Cancel a cycle that has not completed."""

    async def action(client: Client, engine: Engine, settings: Settings) -> dict[str, object]:
        await client.get_workflow_handle(cycle_id).cancel()
        return {"cycle_id": cycle_id, "cancel_requested": True}

    _print(with_client(action))


@app.command("correct")
def correct(cycle_id: str, operator: str = typer.Option(...)) -> None:
    """Re-settle a completed cycle from the meter-data store (late or corrected files); prints the correction id.

    Finance then approves (`approve-correction`) and the changed tenants' invoices are cancelled and rebilled."""
    from workflows.cycle_correction_start import start_correction

    started = with_client(
        lambda client, engine, settings: start_correction(client, engine, settings, cycle_id, operator))
    _print(dataclasses.asdict(started))


def _correction_update(correction_id: str,
                       update: UpdateMethodMultiParam[[CycleCorrectionWorkflow, S], CorrectionStatus],
                       argument: S) -> None:
    """A finance decision on a correction, signed with the approval key for its revision (as `_decide`)."""
    from runtime.decisions import decide_correction

    _print(dataclasses.asdict(with_client(
        lambda client, engine, settings: decide_correction(client, settings, correction_id, update, argument))))


@app.command("approve-correction")
def approve_correction(correction_id: str, approver: str = typer.Option(...), comment: str = "") -> None:
    """Approve a correction as finance; the changed tenants' invoices are cancelled and rebilled."""
    from workflows.approvals import Decision
    from workflows.cycle_correction import CycleCorrectionWorkflow

    _correction_update(correction_id, CycleCorrectionWorkflow.approve, Decision(approver, "finance", comment))


@app.command("reject-correction")
def reject_correction(correction_id: str, approver: str = typer.Option(...), reason: str = typer.Option(...)) -> None:
    """Reject a correction as finance; it changes nothing (no revision recorded, nothing rebilled)."""
    from workflows.approvals import Rejection
    from workflows.cycle_correction import CycleCorrectionWorkflow

    _correction_update(correction_id, CycleCorrectionWorkflow.reject, Rejection(approver, "finance", reason))

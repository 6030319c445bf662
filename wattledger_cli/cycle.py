"""`wattledger cycle ...`: operator and finance commands against a running Temporal and database."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from billing.cycle_states import STATES_FINAL, STATES_IN_ORDER, STATES_WAITING, CycleState
from wattledger_cli.output import (
    JsonFlag,
    ServiceUnreachable,
    cell,
    configured_ports,
    console,
    print_json,
    print_rows,
)

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

app = typer.Typer(help="Billing cycles: start, inspect, approve, reject, settle again, cancel, correct.\n\n"
                  f"Talks to Temporal and PostgreSQL directly; configured: {configured_ports()}.",
                  no_args_is_help=True)

# `cycle start --wait` stops at a final state or one that waits for a person (billing.cycle_states).
WAIT_POLL_S = 1.0
T = TypeVar("T")
A = TypeVar("A")
S = TypeVar("S", "Decision", "Rejection")


def with_client(action: Callable[[Client, Engine, Settings], Awaitable[T]]) -> T:
    from settings import Settings

    settings = Settings()
    address = settings.temporal_address or f"127.0.0.1:{settings.temporal_port}"
    require_listening(address)  # before the SDK and the database driver load: a refusal comes at once

    from db import make_engine, resolve_database_url
    from runtime.temporal import connect

    async def run() -> T:
        try:
            client = await connect(address, settings.temporal_namespace, settings)
        except RuntimeError as error:  # the SDK's connect failure: refused, timed out, TLS refused
            raise ServiceUnreachable(f"cannot reach Temporal at {address}: start the stack with `wattledger dev`, "
                                     "or name the cluster in WATTLEDGER_TEMPORAL_ADDRESS") from error
        engine = make_engine(resolve_database_url(settings))
        try:
            return await action(client, engine, settings)
        finally:
            engine.dispose()

    return asyncio.run(run())


TEMPORAL_PROBE_TIMEOUT_S = 3.0


def require_listening(address: str) -> None:
    """Refuse at once when nothing accepts a TCP connection at `address` (host:port), before the SDK's own
    connect: that one retries for seconds and its runtime may abort the process on the way out."""
    import socket

    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=TEMPORAL_PROBE_TIMEOUT_S):
            return
    except (OSError, ValueError) as error:
        raise ServiceUnreachable(f"cannot reach Temporal at {address}: start the stack with `wattledger dev`, "
                                 "or name the cluster in WATTLEDGER_TEMPORAL_ADDRESS") from error


def with_engine(action: Callable[[Engine], T]) -> T:
    """Run `action` on the configured database alone (listing needs no Temporal)."""
    from db import make_engine, resolve_database_url
    from settings import Settings

    engine = make_engine(resolve_database_url(Settings()))
    try:
        return action(engine)
    finally:
        engine.dispose()


def _print(value: object) -> None:
    print_json(value)


@app.command("start")
def start(campus_id: str, period: str,
          wait: Annotated[bool, typer.Option("--wait", help="follow the cycle with a live progress display until "
                                             "it awaits approval, needs rework, completes, fails or is cancelled")]
          = False,
          timeout_s: Annotated[int, typer.Option("--timeout", min=1, help="with --wait: give up after this many "
                                                 "seconds (the cycle goes on)")] = 3600) -> None:
    """Start (or find) the cycle of CAMPUS_ID for PERIOD (YYYY-MM) from the campus inbox."""
    from workflows.billing_cycle_start import start_cycle

    async def action(client: Client, engine: Engine, settings: Settings) -> dict[str, Any]:
        started = await start_cycle(client, engine, settings, campus_id, period)
        if not wait:
            return dataclasses.asdict(started)
        _print(dataclasses.asdict(started))
        return await follow_cycle(engine, started.cycle_id, timeout_s)

    outcome = with_client(action)
    if not wait:
        _print(outcome)
        return
    state = outcome["status"]
    typer.echo(f"{outcome['cycle_id']}: {state}" + (f" ({outcome['status_detail']})" if outcome["status_detail"]
                                                    else ""))
    if state in (CycleState.FAILED, CycleState.CANCELLED):
        raise typer.Exit(1)
    if state not in STATES_WAITING | STATES_FINAL:
        typer.echo(f"still {state} after {timeout_s} s; follow it with `wattledger cycle status {outcome['cycle_id']}`",
                   err=True)
        raise typer.Exit(2)


def _progress_step(state: str) -> int:
    return STATES_IN_ORDER.index(CycleState(state)) if state in STATES_IN_ORDER else 0


async def follow_cycle(engine: Engine, cycle_id: str, timeout_s: int) -> dict[str, Any]:
    """Poll the cycle's recorded row until it waits for a person or ends (or `timeout_s` passes), showing its
    state on a progress bar and one line per state it passes through; returns the last row read."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from billing import repository as repo

    def read() -> dict[str, Any]:
        with engine.connect() as conn:
            row = repo.load_cycle(conn, cycle_id)
        return {key: row[key] for key in ("cycle_id", "status", "status_detail")} | {"steps": list(row["steps"])}

    deadline = time.monotonic() + timeout_s
    row = await asyncio.to_thread(read)
    seen = ""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[state]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console(), transient=False) as progress:
        task = progress.add_task(cycle_id, total=len(STATES_IN_ORDER) - 1, state=row["status"])
        while True:
            state = row["status"]
            if state != seen:
                steps = ", ".join(row["steps"]) or "none yet"
                progress.console.print(f"{datetime.now().astimezone():%H:%M:%S}  {state}  (steps recorded: {steps})")
                seen = state
            progress.update(task, completed=_progress_step(state), state=state)
            if state in STATES_WAITING | STATES_FINAL or time.monotonic() >= deadline:
                return row
            await asyncio.sleep(WAIT_POLL_S)
            row = await asyncio.to_thread(read)


@app.command("status")
def status(cycle_id: str,
           step: str = typer.Option(None, help="print this step's full result (JSON) instead, e.g. "
                                               "validate (the VEE report), settle, invoice"),
           as_json: JsonFlag = False) -> None:
    """Print a summary of the cycle: state, each step with when it was recorded and how long it took, totals and
    links (`--json`: the summary as `GET /cycles/{id}` answers it), or one step's full result."""

    async def action(client: Client, engine: Engine, settings: Settings) -> dict[str, Any]:
        # Loaded once Temporal answers (with_client refuses an unreachable one before anything heavy loads).
        from temporalio.service import RPCError

        from billing import repository as repo
        from billing.cycle_summary import cycle_summary
        from workflows.billing_cycle import BillingCycleWorkflow

        with engine.connect() as conn:
            if step is not None:
                return repo.load_step(conn, cycle_id, step)
            cycle = repo.load_cycle(conn, cycle_id)
            recorded = repo.step_recorded_times(conn, cycle_id)
        try:
            live_status = await client.get_workflow_handle_for(BillingCycleWorkflow.run, cycle_id).query(
                BillingCycleWorkflow.status)
            live = dataclasses.asdict(live_status) if live_status is not None else None
        except RPCError:
            live = None  # closed or unknown workflow: the database row is the record
        summary = cycle_summary(cycle, live)
        summary["step_recorded_at_utc"] = recorded
        summary["settled_usd_micros"] = settled_totals(cycle["steps"], live)
        summary["api_base_url"] = f"http://127.0.0.1:{settings.api_port}"
        return summary

    result = with_client(action)
    if step is not None or as_json:
        if step is None:
            result.pop("api_base_url")
        print_json(result)
        return
    print_cycle_summary(result)


def settled_totals(steps: Mapping[str, Mapping[str, Any]], live: Mapping[str, Any] | None) -> dict[str, int] | None:
    """The cycle's settled total (micro-USD) as first settled and as it stands after every approved correction:
    a correction's differences count once its revision is recorded (`correction-r{n}-rebill`, billing.corrections);
    a rejected or pending one changes nothing. None before the cycle is settled."""
    if live and live.get("total_usd_micros") is not None:
        original_usd_micros = int(live["total_usd_micros"])
    elif isinstance(steps.get("settle", {}).get("tenant_totals_usd_micros"), Mapping):
        original_usd_micros = sum(int(amount) for amount in steps["settle"]["tenant_totals_usd_micros"].values())
    else:
        return None
    corrections_usd_micros = 0
    for name in steps:
        if name.startswith("correction-") and name.endswith("-rebill"):
            deltas = steps.get(name.removesuffix("-rebill") + "-settle", {}).get("tenant_deltas_usd_micros") or {}
            corrections_usd_micros += sum(int(amount) for amount in deltas.values())
    return {"original": original_usd_micros, "latest": original_usd_micros + corrections_usd_micros}


def usd_text(amount_usd_micros: int) -> str:
    """`$1,234.57`: micro-USD to the cent, half up, exactly (no float on the way)."""
    from decimal import ROUND_HALF_UP, Decimal

    dollars = (Decimal(abs(amount_usd_micros)) / 1_000_000).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"{'-' if amount_usd_micros < 0 else ''}${dollars:,}"


def _mwh_text(energy_wh: int) -> str:
    from decimal import Decimal

    return f"{Decimal(energy_wh) / 1_000_000:,.3f}"  # Decimal: exact to the Wh before rounding to the kWh


def step_durations(created_at_utc: datetime, recorded: Mapping[str, datetime]) -> dict[str, float]:
    """Seconds from the step before (the cycle's creation for the first) to each step's recording. Billing records
    when a step completed, not when it started, so this includes any wait before the step: `approval-v1` counts
    finance's time to decide."""
    durations: dict[str, float] = {}
    previous = created_at_utc
    for step, at in recorded.items():
        durations[step] = max(0.0, (at - previous).total_seconds())
        previous = at
    return durations


def _duration_text(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{seconds:.1f}s"


FIGURE_KEYS_SKIPPED = ("url", "vee_report_url")


def _figures(summary: Mapping[str, Any], figures_max: int = 5) -> str:
    """A step's headline figures: its scalar values, not hashes, URIs or links."""
    shown = []
    for key, value in summary.items():
        if key in FIGURE_KEYS_SKIPPED or key.endswith(("_uri", "_sha256_hex", "_hex")) or isinstance(value, dict | list):
            continue
        shown.append(f"{key}={cell(value)}")
    if isinstance(summary.get("vee"), Mapping):
        shown.insert(0, f"vee_score={summary['vee'].get('score')}")
    return ", ".join(shown[:figures_max]) + (", ..." if len(shown) > figures_max else "")


def print_cycle_summary(summary: Mapping[str, Any]) -> None:
    """The cycle on one screen: state, steps (recorded, time since the previous step, figures), totals, links."""
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    out = console()
    detail = f" ({escape(summary['status_detail'])})" if summary.get("status_detail") else ""
    out.print(f"[bold]{escape(summary['cycle_id'])}[/bold]  campus {escape(summary['campus_id'])}  "
              f"period {summary['period']}")
    out.print(f"state: [bold]{summary['status']}[/bold]{detail}  (updated {cell(summary.get('updated_at_utc'))})")
    live = summary.get("live")
    if live:
        approvals = escape(", ".join(live.get("approvals") or []) or "none")
        out.print(f"workflow phase: {live.get('phase')}  approvals: {approvals}  "
                  f"settlement version: {live.get('settlement_version')}")
    recorded: Mapping[str, datetime] = summary.get("step_recorded_at_utc") or {}
    durations = step_durations(summary["created_at_utc"], recorded) if summary.get("created_at_utc") else {}
    table = Table(title="steps", title_justify="left", header_style="bold")
    for name in ("step", "recorded (UTC)", "since previous step", "figures"):
        table.add_column(name, overflow="fold")
    for step, step_summary in summary["steps"].items():
        took = _duration_text(durations[step]) if step in durations else "-"
        table.add_row(Text(step), cell(recorded.get(step)), took, Text(_figures(step_summary)))
    out.print(table if summary["steps"] else "steps: none recorded yet")
    totals = _totals(summary)
    if totals:
        out.print("totals:")
        for name, value in totals.items():
            out.print(Text(f"  {name}: {value}"))
    base = summary.get("api_base_url", "")
    links = dict(summary.get("links") or {})
    for step, step_summary in summary["steps"].items():
        links[f"step {step}"] = step_summary.get("url", "")
    out.print("links (API):")
    for name, path in links.items():
        out.print(Text(f"  {name}: {base}{path}"))
    out.print("full JSON: --json; one step in full: --step NAME")


def _totals(summary: Mapping[str, Any]) -> dict[str, str]:
    """The money and energy figures finance looks at first, where the cycle has them."""
    totals: dict[str, str] = {}
    settled = summary.get("settled_usd_micros")
    live = summary.get("live") or {}
    if settled is None and live.get("total_usd_micros") is not None:
        settled = {"original": int(live["total_usd_micros"]), "latest": int(live["total_usd_micros"])}
    if settled is not None:
        corrected = settled["latest"] != settled["original"]
        totals["settled"] = usd_text(settled["latest"]) + (
            f" (originally {usd_text(settled['original'])}, before corrections)" if corrected else "")
    for step_summary in summary["steps"].values():
        if step_summary.get("invoice_count") is not None and "invoices_total_usd_cents" in step_summary:
            totals["invoices"] = (f"{step_summary['invoice_count']} for "
                                  f"{usd_text(int(step_summary['invoices_total_usd_cents']) * 10_000)}")
        if isinstance(step_summary.get("vee"), Mapping):
            totals["data quality"] = _data_quality_text(step_summary["vee"])
        balance = step_summary.get("energy_balance_wh")
        if isinstance(balance, Mapping):
            totals["energy balance"] = ", ".join(f"{key.removesuffix('_wh')} {_mwh_text(value)} MWh"
                                                 for key, value in balance.items() if isinstance(value, int))
    return totals


def _data_quality_text(vee: Mapping[str, Any]) -> str:
    """`score 87.50 (1 of 8 meters under 100.00, lowest SOLAR-1 0.00: --step validate)`: where to look first."""
    text = f"score {vee.get('score')}"
    lowest = vee.get("meter_lowest")
    if isinstance(lowest, Mapping):
        text += (f" ({vee.get('meters_below_full_score_count')} of {vee.get('meter_count')} meters under 100.00, "
                 f"lowest {lowest.get('meter_id')} {lowest.get('score')}: --step validate)")
    return text


@app.command("list")
def list_cycles(state: Annotated[CycleState | None, typer.Option(help="only cycles in this state",
                                                                 case_sensitive=False)] = None,
                limit: Annotated[int, typer.Option(min=1, max=500, help="at most this many")] = 100,
                as_json: JsonFlag = False) -> None:
    """List cycles, newest first, optionally in one state (e.g. awaiting_approval, failed)."""
    from billing import repository as repo

    def action(engine: Engine) -> list[dict[str, Any]]:
        with engine.connect() as conn:
            return repo.list_cycles(conn, None if state is None else state.value, limit)

    print_rows(with_engine(action), as_json, title="cycles",
               columns=["cycle_id", "campus_id", "period", "status", "status_detail", "updated_at_utc"])


def _update(cycle_id: str, update: UpdateMethodMultiParam[[BillingCycleWorkflow, A], CycleStatus],
            argument: A) -> None:
    from workflows.billing_cycle import BillingCycleWorkflow

    async def action(client: Client, engine: Engine, settings: Settings) -> CycleStatus:
        handle = client.get_workflow_handle_for(BillingCycleWorkflow.run, cycle_id)
        return await handle.execute_update(update, argument)

    _print(dataclasses.asdict(with_client(action)))


@app.command("approve")
def approve(cycle_id: str, approver: str = typer.Option(...), comment: str = "") -> None:
    """Approve as finance (the same workflow update the API and the finance page use), signed with the approval key."""
    from billing import review
    from runtime.decisions import decide_cycle
    from workflows.approvals import Decision
    from workflows.billing_cycle import BillingCycleWorkflow

    async def checked(client: Client, engine: Engine, settings: Settings) -> CycleStatus:
        # The same control as POST /cycles/{id}/approve: open blocking findings refuse the approval (docs/finance.md).
        review.require_no_open_findings(engine, cycle_id, review.review_limits(settings))
        status = await decide_cycle(client, settings, cycle_id, BillingCycleWorkflow.approve,
                                    Decision(approver, "finance", comment))
        review.record_decision(engine, cycle_id, "approve", approver, comment, status.phase)
        return status

    _print(dataclasses.asdict(with_client(checked)))


@app.command("override")
def override(cycle_id: str, finding_code: str, approver: str = typer.Option(...),
             reason: str = typer.Option(...)) -> None:
    """Accept one blocking finding (vee_score, balance, ...) as finance, with a reason: the record the finance page
    and POST /cycles/{id}/overrides store; approve is refused while one is open (docs/finance.md)."""
    from billing import review
    from settings import Settings

    limits = review.review_limits(Settings())
    with_engine(lambda engine: review.record_override(engine, cycle_id, finding_code, reason, approver, limits))
    _print({"cycle_id": cycle_id, "finding_code": finding_code, "overridden_by": approver})


@app.command("reject")
def reject(cycle_id: str, approver: str = typer.Option(...), reason: str = typer.Option(...)) -> None:
    """Reject as finance, signed with the approval key; the cycle goes to rework."""
    from billing import review
    from runtime.decisions import decide_cycle
    from workflows.approvals import Rejection
    from workflows.billing_cycle import BillingCycleWorkflow

    async def recorded(client: Client, engine: Engine, settings: Settings) -> CycleStatus:
        status = await decide_cycle(client, settings, cycle_id, BillingCycleWorkflow.reject,
                                    Rejection(approver, "finance", reason))
        review.record_decision(engine, cycle_id, "reject", approver, reason, status.phase)
        return status

    _print(dataclasses.asdict(with_client(recorded)))


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
    """A finance decision on a correction, signed with the approval key for its revision (as `cycle approve`)."""
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

"""`wattledger schedule ...`: Temporal Schedules that start each campus's monthly billing cycle."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from wattledger_cli.cycle import with_client
from wattledger_cli.output import JsonFlag, print_rows

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from temporalio.client import Client

    from settings import Settings

app = typer.Typer(help="Monthly cycle schedules per campus (Temporal Schedules).", no_args_is_help=True)


@app.command("create")
def create(campus_id: str, day_of_month: int = typer.Option(2, min=1, max=28),
           hour: int = typer.Option(6, min=0, max=23)) -> None:
    """Bill the previous month on DAY_OF_MONTH at HOUR, campus-local time."""
    from campus import load_campus
    from workflows.monthly_schedule import create_monthly_schedule

    async def action(client: Client, engine: Engine, settings: Settings) -> str:
        with engine.connect() as conn:
            campus = load_campus(conn, campus_id)
        return await create_monthly_schedule(client, campus_id, campus.time_zone, day_of_month, hour)

    typer.echo(with_client(action))


@app.command("list")
def list_command(as_json: JsonFlag = False) -> None:
    """List schedules with their next start times."""
    from workflows.monthly_schedule import list_schedules

    async def action(client: Client, engine: Engine, settings: Settings) -> list[dict[str, object]]:
        return await list_schedules(client)

    schedules = with_client(action)
    if not as_json:  # the table shows the next start only; --json has them all
        schedules = [{**entry, "next_action_times": _first(entry["next_action_times"])} for entry in schedules]
    print_rows(schedules, as_json, title="schedules", columns=["schedule_id", "paused", "next_action_times"])


def _first(times: object) -> object:
    return times[0] if isinstance(times, list) and times else "-"


def _handle_action(campus_id: str, verb: str) -> None:
    from workflows.monthly_schedule import schedule_id_for

    async def action(client: Client, engine: Engine, settings: Settings) -> str:
        handle = client.get_schedule_handle(schedule_id_for(campus_id))
        await getattr(handle, verb)()
        return f"{verb}: {schedule_id_for(campus_id)}"

    typer.echo(with_client(action))


@app.command("pause")
def pause(campus_id: str) -> None:
    """Pause a campus's monthly schedule."""
    _handle_action(campus_id, "pause")


@app.command("unpause")
def unpause(campus_id: str) -> None:
    """Resume a paused schedule."""
    _handle_action(campus_id, "unpause")


@app.command("trigger")
def trigger(campus_id: str) -> None:
    """Start the schedule's action now (bills the previous month)."""
    _handle_action(campus_id, "trigger")

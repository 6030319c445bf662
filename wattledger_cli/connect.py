"""`wattledger connect ...`: live meter data from the plant (docs/connectors.md).

`run` reads every channel the campus file declares (`[[channels]]`) until Ctrl-C or SIGTERM, stores the register
readings (acknowledged after each commit) and derives the intervals into the campus meter-data store; `status`
shows each channel's counters and watermarks; `derive` re-derives one UTC day now.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from wattledger_cli.output import JsonFlag, print_rows

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(help="Live meter data: MQTT, Sparkplug B, OPC UA and Modbus connectors.", no_args_is_help=True)

CampusOption = Annotated[str, typer.Option("--campus", help="campus id")]


@contextmanager
def _engine_and_root() -> Iterator[tuple[Engine, str]]:
    from db import make_engine, resolve_database_url, upgrade_schema
    from settings import Settings

    settings = Settings()
    url = resolve_database_url(settings)
    upgrade_schema(url)
    engine = make_engine(url)
    try:
        yield engine, settings.data_root_uri
    finally:
        engine.dispose()


@app.command("run")
def run(campus_id: CampusOption) -> None:
    """Run the campus's declared channels until Ctrl-C or SIGTERM (what `wattledger dev` starts per campus)."""
    from connectors.service import load_plan
    from observability import configure_logging
    from settings import Settings

    configure_logging(Settings())
    with _engine_and_root() as (engine, data_root_uri):
        plan = load_plan(engine, campus_id, datetime.now(UTC))
        if plan.channel_count == 0:
            raise typer.BadParameter(f"campus {campus_id} declares no [[channels]] (docs/campus-file.md)")
        typer.echo(f"{campus_id}: {plan.channel_count} channel(s); Ctrl-C stops")
        asyncio.run(_run_until_stopped(engine, data_root_uri, campus_id))
    typer.echo("stopped")


async def _run_until_stopped(engine: Engine, data_root_uri: str, campus_id: str) -> None:
    from connectors.service import run_campus
    from runtime.signals import wait_for_stop_signal

    stop = asyncio.create_task(wait_for_stop_signal())
    service = asyncio.create_task(run_campus(engine, data_root_uri, campus_id))
    done, _ = await asyncio.wait({stop, service}, return_when=asyncio.FIRST_COMPLETED)
    for task in (stop, service):
        task.cancel()
    with suppress(asyncio.CancelledError):
        await stop
    try:
        await service
    except asyncio.CancelledError:
        pass
    if service in done and service.exception() is not None:
        raise service.exception()  # type: ignore[misc]


@app.command("status")
def status(campus_id: CampusOption, as_json: JsonFlag = False) -> None:
    """Each live channel's readings, duplicates, conflicts and last source and receipt times."""
    from connectors.service import channel_statuses

    with _engine_and_root() as (engine, _):
        rows = [dataclasses.asdict(row) for row in channel_statuses(engine, campus_id)]
    print_rows(rows, as_json, title=f"live channels of {campus_id}")


@app.command("derive")
def derive(campus_id: CampusOption,
           day: Annotated[str, typer.Option("--day", help="UTC day YYYY-MM-DD")]) -> None:
    """Derive one UTC day's intervals from the stored readings; a changed result is stored as a new version."""
    from connectors.derive import derive_window

    try:
        start = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
    except ValueError as error:
        raise typer.BadParameter(f"--day {day!r}: expected YYYY-MM-DD") from error
    with _engine_and_root() as (engine, data_root_uri):
        result = derive_window(engine, data_root_uri, campus_id, start, start + timedelta(days=1), datetime.now(UTC))
    version = "unchanged" if result.version is None else f"version {result.version}"
    typer.echo(f"{campus_id} {day}: {result.interval_count} intervals ({result.estimated_count} estimated, "
               f"{result.rejected_count} readings rejected), {version}"
               + (f"; {result.level_ends_missing_count} interval ends without a state of charge"
                  if result.level_ends_missing_count else ""))

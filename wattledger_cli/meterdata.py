"""`wattledger meterdata ...` commands: receive files, watch an inbox, run VEE, show quarantine and pending
corrections, plot.

Each opens the configured database (WATTLEDGER_DATABASE_URL, else the embedded server); files are stored
under WATTLEDGER_DATA_URI (default `<home>/data`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wattledger_cli.output import JsonFlag, console, print_rows

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from meterdata import CsvMapping, UploadLimits
    from meterdata.service import ReceiveOutcome

app = typer.Typer(help="Meter data: ingest files, VEE reports, manual edits.", no_args_is_help=True)

CampusOption = Annotated[str, typer.Option("--campus", help="campus id")]
# Every path is checked before the first file is stored: a misspelt name (or a glob that matched nothing) is refused
# at once, not after the files before it were received.
ReceivedFiles = Annotated[list[Path], typer.Argument(help="meter-data files (.csv, .txt, .parquet, .xml)", exists=True,
                                                     dir_okay=False)]
# --mapping is the option's former name, kept so scripts written for it go on working.
LayoutOption = Annotated[str | None, typer.Option("--layout", "--mapping",
                                                  help="CSV layout of the files: SITE_EXPORT_V1 or a [[csv_layouts]] "
                                                       "name of the campus file [default: the campus file's "
                                                       "campus.csv_layout, else SITE_EXPORT_V1]")]


@contextmanager
def _engine_and_root() -> Iterator[tuple[Engine, str]]:
    from db import make_engine, resolve_database_url
    from settings import Settings

    settings = Settings()
    engine = make_engine(resolve_database_url(settings))
    try:
        yield engine, settings.data_root_uri
    finally:
        engine.dispose()


def _upload_limits() -> UploadLimits:
    """The size limits of received files, from the same settings the API uses (WATTLEDGER_UPLOAD_*)."""
    from meterdata import UploadLimits
    from settings import Settings

    return UploadLimits.of(Settings())


def _layout(engine: Engine, campus: str, name: str | None) -> CsvMapping:
    """The campus's layout `name` (None: its default), before any file is stored; an unknown one is refused naming
    the known ones."""
    from meterdata.service import csv_layout

    return csv_layout(engine, campus, name)


@app.command("receive")
def receive_command(files: ReceivedFiles, campus: CampusOption, layout: LayoutOption = None) -> None:
    """Store FILES as received and check them; bad files are quarantined with file, line, field and reason.
    Accepted files join the campus's meter-data store, which billing cycles read, each with its layout."""
    from meterdata.service import file_chunks, receive_file

    refused = 0
    with _engine_and_root() as (engine, data_root):
        mapping = _layout(engine, campus, layout)
        for path in files:
            outcome = receive_file(engine, data_root, campus, path.name, file_chunks(path), mapping,
                                   _upload_limits())
            detail = f": {refusal_text(outcome.error)}" if outcome.error else \
                f" readings={outcome.reading_count}{_span(outcome)}"
            typer.echo(f"{outcome.status:<11} {_hash_cell(outcome)} {path.name}{detail}")
            refused += outcome.error is not None
    if refused:
        raise typer.Exit(2)


def refusal_text(error: dict[str, Any]) -> str:
    """`line 3, field 'value': not a number` (`whole file` when no line is named): where, then why, on one line."""
    where = "whole file" if error.get("line") is None else f"line {error['line']}"
    if error.get("field"):
        where += f", field {error['field']!r}"
    reason = " ".join(str(error.get("reason", "")).split())  # one line, whatever the parser wrote
    return f"{where}: {reason}"


def _hash_cell(outcome: ReceiveOutcome) -> str:
    # A refused file (unknown type, beyond a size limit) was not stored, so it has no hash: say so, not blank.
    return f"{outcome.sha256_hex[:16]:<16}" if outcome.sha256_hex else f"{'-':<16}"


def _span(outcome: ReceiveOutcome) -> str:
    first, last = outcome.first_interval_start_utc, outcome.last_interval_start_utc
    return "" if first is None or last is None else f" span={first.isoformat()}..{last.isoformat()}"


@app.command("watch")
def watch_command(
    inbox: Path, campus: CampusOption, interval_s: float = 5.0, passes_max: int = 1_000_000,
    layout: LayoutOption = None,
) -> None:
    """Receive every file that settles in INBOX; move it to processed/ or quarantine/ (with a reason file)."""
    from meterdata.watch import watch

    def report(name: str, outcome: ReceiveOutcome) -> None:
        detail = f": {refusal_text(outcome.error)}" if outcome.error else ""
        typer.echo(f"{outcome.status:<11} {_hash_cell(outcome)} {name}{detail}")

    with _engine_and_root() as (engine, data_root):
        watch(engine, data_root, campus, inbox, interval_s, passes_max, report, _layout(engine, campus, layout),
              _upload_limits())


@app.command("quarantine")
def quarantine_command(campus: CampusOption, limit: int = 50, as_json: JsonFlag = False) -> None:
    """List quarantined files, newest first."""
    from meterdata.service import quarantined_files

    with _engine_and_root() as (engine, _):
        rows = quarantined_files(engine, campus, limit)
    print_rows(rows, as_json, title=f"quarantined files of campus {campus}",
               columns=["quarantined_at_utc", "original_name", "line", "field", "reason", "sha256_hex"])


@app.command("pending")
def pending_command(campus: Annotated[str, typer.Argument(help="campus id")], limit: int = 100,
                    as_json: JsonFlag = False) -> None:
    """List pending corrections: files accepted for a period whose billing cycle completed without them."""
    from meterdata.service import pending_corrections

    with _engine_and_root() as (engine, _):
        rows = pending_corrections(engine, campus, limit)
    print_rows([dataclasses.asdict(row) for row in rows], as_json, title=f"pending corrections for campus {campus}",
               columns=["cycle_id", "cycle_completed_at_utc", "original_name", "reading_count",
                        "first_interval_start_utc", "last_interval_start_utc", "received_at_utc"])
    if as_json or not rows:
        return
    for cycle_id, command in dict.fromkeys((row.cycle_id, row.resettle_command) for row in rows):
        typer.echo(f"re-settle {cycle_id}: {command}")


@app.command("vee")
def vee_command(
    intervals: str, campus: CampusOption, start_utc: datetime, end_utc: datetime, out: str,
    time_zone: str = "UTC", as_json: bool = False,
) -> None:
    """Validate and estimate INTERVALS (Parquet) with the campus registry and its manual edits; record the run."""
    from common.timeutil import require_utc
    from meterdata import run_vee, service

    # typer parses ISO 8601; a time without offset on this command means UTC, as the option names say.
    start, end = (value if value.tzinfo else value.replace(tzinfo=UTC) for value in (start_utc, end_utc))
    with _engine_and_root() as (engine, _):
        meters = service.campus_meters(engine, campus)
        edits = service.edits_for_period(engine, campus, require_utc(start, "start"), require_utc(end, "end"))
        # The campus's batteries as the cycle's validate step reads them: a state-of-charge channel is a level,
        # never energy, and the storage rules start from the previous period's last reported level.
        storage = service.storage_for_vee(engine, campus, start)
        result = run_vee(intervals, meters, start, end, out, local_time_zone=time_zone, edits=edits,
                         storage=storage.assets, stored_wh_start=storage.stored_wh_start)
        run_id = service.record_vee_run(engine, campus, start, end, intervals, result)
    if as_json:
        typer.echo(json.dumps({"vee_run_id": run_id, **result.report}, indent=2))
        return
    _print_report(run_id, result.report)


def _print_report(run_id: int, report: dict[str, Any]) -> None:
    from rich.table import Table

    rules = report["rules"]
    meters = sorted(report["meters"])
    table = Table(title=f"VEE run {run_id}: score {report['score']}, {report['reading_count']} readings")
    table.add_column("meter")
    table.add_column("score")
    names = [name for name, counts in rules.items() if any(counts.values())]
    for name in names:
        table.add_column(name, justify="right")
    for meter_id in meters:
        table.add_row(meter_id, report["meters"][meter_id]["score"], *[str(rules[n].get(meter_id, "")) for n in names])
    if "campus" in rules.get("campus_balance", {}):
        typer.echo(f"campus balance: {rules['campus_balance']['campus']} hours outside tolerance")
    console().print(table)  # a wide page, not 80 columns, when piped


@app.command("plot")
def plot_command(vee_run_id: int, meter: str, out: Path) -> None:
    """Write the data-quality plot (SVG) of METER in VEE run VEE_RUN_ID to OUT."""
    from meterdata.service import quality_plot

    with _engine_and_root() as (engine, _):
        out.write_text(quality_plot(engine, vee_run_id, meter))
    typer.echo(f"wrote {out}")


@app.command("partition")
def partition_command(validated: str, campus: CampusOption, dataset: str) -> None:
    """Add a validated interval file to DATASET (Parquet, partitioned campus_id=/month=)."""
    from meterdata.aggregate import write_partitioned

    write_partitioned(validated, campus, dataset)
    typer.echo(f"added {validated} to {dataset}")


@app.command("aggregate")
def aggregate_command(
    dataset: str, campus: CampusOption, level: str = "campus", resolution_minutes: int = 60,
    month: Annotated[list[str] | None, typer.Option(help="YYYY-MM, repeatable; default all")] = None,
    iso: Annotated[str | None, typer.Option(help="use this ISO's settlement interval instead")] = None,
    out: Path | None = None,
) -> None:
    """Sum a campus's validated energy per meter, tenant or role at 15, 60 min or the ISO settlement interval."""
    from meterdata.aggregate import ISO_SETTLEMENT_MINUTES, aggregate
    from meterdata.service import campus_meters

    if iso is not None:
        resolution_minutes = ISO_SETTLEMENT_MINUTES[iso.upper()]
    with _engine_and_root() as (engine, _):
        meters = campus_meters(engine, campus)
    table = aggregate(dataset, campus, meters, level, resolution_minutes, month)
    if out is not None:
        import pyarrow.parquet as pq

        pq.write_table(table, out)
        typer.echo(f"wrote {table.num_rows} rows to {out}")
        return
    for row in table.to_pylist():
        typer.echo(f"{row['key']:<24} {row['interval_start_utc'].isoformat()} {row['energy_wh']:>14} Wh"
                   f"  estimated {row['estimated_intervals']} missing {row['missing_intervals']}")

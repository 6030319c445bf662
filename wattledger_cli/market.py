"""`wattledger market ...`: run the fake ISO, read ISO price files into Parquet, check a NYISO document,
list submissions and disputes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from market_adapters.price_files import FEED_DEFAULT, NYISO_RT_INTERVAL_MINUTES_DEFAULT, PRICE_FORMATS
from wattledger_cli.database import database_engine
from wattledger_cli.market_nodes import app as nodes_app
from wattledger_cli.market_shadow import participation_command, registration_command
from wattledger_cli.output import JsonFlag, print_rows

if TYPE_CHECKING:
    from market_adapters.reconciliation import ReconciliationResult

app = typer.Typer(help="ISO market adapters: prices, submissions, statements.", no_args_is_help=True)
app.add_typer(nodes_app, name="nodes")
app.command("participation")(participation_command)  # `shadow` is the statement reconciliation below
app.command("registration")(registration_command)

PricesOut = Annotated[Path | None, typer.Argument(help="Parquet file to write; optional with --campus")]
PricesCampus = Annotated[str | None, typer.Option("--campus", help="keep the prices for the campus's cycles")]


@app.command("fake-iso")
def fake_iso_command(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 8765,
    first_day: Annotated[str, typer.Option(help="first Eastern operating day with prices")] = "2025-07-15",
    days: Annotated[int, typer.Option(min=1, max=92)] = 31,
    tls_dir: Annotated[Path | None, typer.Option(help="write a test CA here and require client certificates")] = None,
) -> None:
    """Serve the fake ISO on 127.0.0.1 in the foreground (Ctrl-C stops it)."""
    from devtools.fake_iso.runner import serve_foreground

    serve_foreground(port, date.fromisoformat(first_day), days, tls_dir)


@app.command("prices")
def prices_command(
    file_format: Annotated[str, typer.Argument(help=f"one of {', '.join(PRICE_FORMATS)}")],
    source: Path,
    out: PricesOut = None,
    campus_id: PricesCampus = None,
    feed: Annotated[str, typer.Option(help="PJM Data Miner feed name")] = FEED_DEFAULT,
    interval_minutes: Annotated[int, typer.Option(help="NYISO real-time interval length")] = (
        NYISO_RT_INTERVAL_MINUTES_DEFAULT),
) -> None:
    """Read one ISO price file (CSV, JSON items, or a ZIP for ERCOT/CAISO) into a PRICE_SCHEMA Parquet file,
    and/or into a campus's price store, where each billing cycle's settlement finds it."""
    from common.errors import DomainError
    from market_adapters.price_files import parse_price_file
    from market_adapters.prices import price_table, write_prices_parquet

    if file_format not in PRICE_FORMATS:
        raise typer.BadParameter(f"format must be one of {', '.join(PRICE_FORMATS)}")
    if out is None and campus_id is None:
        raise typer.BadParameter("give OUT, --campus, or both")
    try:
        if out is not None:
            rows = parse_price_file(file_format, str(source), source.read_bytes(), feed=feed,
                                    interval_minutes=interval_minutes)
            write_prices_parquet(price_table(rows), str(out))
            typer.echo(f"{len(rows)} prices -> {out}")
        if campus_id is not None:
            _store_prices(campus_id, file_format, source, feed, interval_minutes)
    except DomainError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(1) from error


def _store_prices(campus_id: str, file_format: str, source: Path, feed: str, interval_minutes: int) -> None:
    from market_adapters.price_files import store_campus_prices
    from settings import Settings

    with database_engine() as engine:
        stored = store_campus_prices(engine, Settings(), campus_id, file_format, str(source),
                                     source.read_bytes(), feed=feed, interval_minutes=interval_minutes)
    note = " (already stored)" if stored.already_stored else ""
    typer.echo(f"{stored.price_count} prices -> {stored.price_uri}{note}")


@app.command("check-nyiso")
def check_nyiso_command(document: Path) -> None:
    """Validate a powerMetering JSON body with NYISO's documented rules; exit 1 if anything is wrong."""
    from market_adapters.nyiso import validate_power_metering_document

    errors = validate_power_metering_document(json.loads(document.read_text()))
    for error in errors:
        typer.echo(error)
    if errors:
        raise typer.Exit(1)
    typer.echo("OK")


@app.command("submissions")
def submissions_command(campus_id: str, as_json: JsonFlag = False) -> None:
    """List a campus's ISO submissions: status, ISO request id, lateness, ISO errors."""
    from market_adapters.submission import list_campus_submissions

    with database_engine() as engine:
        rows = list_campus_submissions(engine, campus_id)
    print_rows(rows, as_json, title=f"ISO submissions of campus {campus_id}")


@app.command("disputes")
def disputes_command(campus_id: str, all_statuses: Annotated[bool, typer.Option("--all")] = False,
                     as_json: JsonFlag = False) -> None:
    """List shadow-settlement disputes (open ones unless --all)."""
    from market_adapters.reconciliation import list_disputes

    with database_engine() as engine:
        rows = list_disputes(engine, campus_id, None if all_statuses else "open")
    print_rows(rows, as_json, title=f"disputes of campus {campus_id}")


@app.command("shadow")
def shadow_command(
    campus_id: str, iso: str, operating_day: str,
    statements: Annotated[Path, typer.Option(help="JSON list of statement runs (format wattledger-statement/1)")],
    document: Annotated[Path, typer.Option(help="the powerMetering body we submitted for that day")],
    prices: Annotated[Path, typer.Option(help="PRICE_SCHEMA Parquet with the ISO's prices")],
) -> None:
    """Reconcile one operating day's statement runs, post the differences to the ledger, print the result."""
    from ledger import publish_checkpoints_after_commit
    from market_adapters.reconciliation import shadow_settle_day
    from settings import Settings

    settings = Settings()
    with database_engine() as engine:
        result = shadow_settle_day(engine, campus_id=campus_id, iso=iso.upper(),
                                   operating_day=date.fromisoformat(operating_day),
                                   statements=json.loads(statements.read_text()),
                                   submitted_document=json.loads(document.read_text()), prices_uri=str(prices),
                                   ledger_origin=settings.ledger_origin, signing_key_path=settings.signing_key_path)
        publish_checkpoints_after_commit(engine, settings.ledger_origin, settings.checkpoint_publish_dir,
                                         settings.ledger_witnesses)
    _print_reconciliation(result)


def _print_reconciliation(result: ReconciliationResult) -> None:
    for run in result.runs:
        for charge in run.charges:
            typer.echo(f"{run.run_type:<8} {charge.charge_type:<16} difference_usd_micros="
                       f"{charge.difference_usd_micros} posted_delta_usd_micros={charge.posted_delta_usd_micros}")
    for dispute in result.disputes:
        item = dispute.discrepancy
        typer.echo(f"dispute {dispute.status:<22} {item.cause:<18} {item.resource_id} "
                   f"{item.interval_start_utc.isoformat()} {item.difference_usd_micros}")


@app.command("shadow-statement")
def shadow_statement_command(
    campus_id: str,
    statement: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the ISO's statement file")],
    intervals: Annotated[Path, typer.Option(help="validated interval Parquet covering the operating day")],
    prices: Annotated[Path, typer.Option(help="PRICE_SCHEMA Parquet with the ISO's real-time prices")],
    statement_format: Annotated[str, typer.Option("--format", help="isone-rtlocsum or ercot-rtm-statement")] = (
        "isone-rtlocsum"),
) -> None:
    """Import an ISO statement file as a run of its day, reconcile the day against our meter data and the ISO's
    prices, post the differences to the ledger, print the result. Findings about the file (an amount that is not
    price x quantity, a stated change from the previous run that is not the change) go to stderr."""
    from ledger import publish_checkpoints_after_commit
    from market_adapters.reconciliation import shadow_settle_statement
    from settings import Settings

    settings = Settings()
    with database_engine() as engine:
        settled = shadow_settle_statement(engine, campus_id=campus_id, statement_format=statement_format,
                                          source_name=statement.name, data=statement.read_bytes(),
                                          intervals_uri=str(intervals), prices_uri=str(prices),
                                          ledger_origin=settings.ledger_origin,
                                          signing_key_path=settings.signing_key_path)
        publish_checkpoints_after_commit(engine, settings.ledger_origin, settings.checkpoint_publish_dir,
                                         settings.ledger_witnesses)
    for finding in settled.statement.findings:
        typer.echo(f"Flagged: {statement.name}, line {finding.line}, field {finding.field!r}: {finding.message}",
                   err=True)
    _print_reconciliation(settled.reconciliation)

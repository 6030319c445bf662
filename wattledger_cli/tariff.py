"""`wattledger tariff ...` commands."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from common.errors import BadInput, DomainError
from wattledger_cli.output import JsonFlag, print_rows

app = typer.Typer(help="Bill a load file against a utility tariff (OpenEI URDB JSON).", no_args_is_help=True)


@app.callback()
def tariff() -> None:
    """Utility tariffs: bill a load file, compare tariffs."""


@app.command("bill")
def bill(
    urdb: Annotated[Path, typer.Option("--urdb", help="URDB tariff JSON (a rate or an API response).")],
    load: Annotated[Path, typer.Option("--load", help="CSV: interval_start (ISO 8601 with offset), energy_kwh. "
                                       "Many meters: a folder of such CSVs (a meter per file, named by the file), "
                                       "or a Parquet file with meter_id, interval_start_utc, energy_wh.")],
    tz: Annotated[str, typer.Option("--tz", help="IANA zone of the tariff's clock, e.g. America/Denver.")],
    holidays: Annotated[Path | None, typer.Option("--holidays", help="File of YYYY-MM-DD dates.")] = None,
    tier_fill: Annotated[str, typer.Option("--tier-fill", help="shared (default) or chronological.")] = "shared",
    holidays_are_weekdays: Annotated[bool, typer.Option("--holidays-are-weekdays",
                                                        help="Bill holidays on the weekday schedule.")] = False,
    export: Annotated[Path | None, typer.Option("--export", help="CSV like --load: energy exported to the grid, "
                                                "billed by the tariff's dgrules.")] = None,
    demand_window: Annotated[str, typer.Option("--demand-window", help="How the tariff's demandwindow is measured: "
                                               "block (clock-aligned, default) or rolling.")] = "block",
    as_json: JsonFlag = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="print one CSV row per meter")] = False,
) -> None:
    """Print monthly and yearly charges as JSON (money in USD, six decimals, exact per line; export credits are
    negative). Many meters (a folder or a Parquet file) are billed in one pass: one row per meter, as a table,
    with --json as JSON, with --csv as CSV."""
    from settlement.tariffs import bill_tariff_json, is_portfolio, read_holidays, zone_named

    try:
        holiday_dates = read_holidays(str(holidays), _read(holidays)) if holidays else frozenset()
        if is_portfolio(load) or as_csv:
            if export is not None:  # a meter's row has no export column: export is billed in the monthly JSON
                raise BadInput("--export", None, "export", "give one load file, without --csv, with --export")
            rows = _meter_rows(urdb, load, zone_named(tz), holiday_dates, tier_fill, not holidays_are_weekdays,
                               demand_window)
        else:
            result = bill_tariff_json(str(urdb), _read(urdb), str(load), _read(load), zone_named(tz), holiday_dates,
                                      tier_fill, holidays_as_weekend=not holidays_are_weekdays,
                                      export_source=str(export) if export else None,
                                      export_text=_read(export) if export else None, demand_window=demand_window)
    except DomainError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(code=2) from error
    if is_portfolio(load) or as_csv:
        _print_meter_rows(rows, as_json, as_csv)
        return
    typer.echo(json.dumps(result, indent=2))


def _meter_rows(urdb: Path, load: Path, time_zone: Any, holidays: frozenset[date], tier_fill: str,
                holidays_as_weekend: bool, demand_window: str) -> list[dict[str, Any]]:
    from settlement.tariffs import bill_meters, is_portfolio, portfolio, read_load_csv

    loads = portfolio.meter_loads(load) if is_portfolio(load) else \
        iter([(load.stem, read_load_csv(str(load), _read(load)))])
    return list(bill_meters(str(urdb), _read(urdb), loads, time_zone, holidays, tier_fill, holidays_as_weekend,
                            demand_window))


def _print_meter_rows(rows: list[dict[str, Any]], as_json: bool, as_csv: bool) -> None:
    from settlement.tariffs import METER_ROW_FIELDS

    if as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=METER_ROW_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return
    print_rows(rows, as_json, title="meter bills", columns=METER_ROW_FIELDS)


@app.command("compare")
def compare(
    urdb: Annotated[list[Path], typer.Option("--urdb", help="Two or more URDB tariff JSON files.")],
    load: Annotated[Path, typer.Option("--load", help="CSV: interval_start (ISO 8601 with offset), energy_kwh.")],
    tz: Annotated[str, typer.Option("--tz", help="IANA zone of the tariffs' clock.")],
    holidays: Annotated[Path | None, typer.Option("--holidays", help="File of YYYY-MM-DD dates.")] = None,
) -> None:
    """Bill one load under several tariffs; print each tariff's total and monthly totals, cheapest first."""
    from settlement.tariffs import bill_tariff_json, read_holidays, zone_named

    if len(urdb) < 2:
        typer.echo("Error: give --urdb at least twice", err=True)
        raise typer.Exit(code=2)
    try:
        holiday_dates = read_holidays(str(holidays), _read(holidays)) if holidays else frozenset()
        load_text = _read(load)
        results = [(path, bill_tariff_json(str(path), _read(path), str(load), load_text, zone_named(tz),
                                           holiday_dates)) for path in urdb]
    except DomainError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(code=2) from error
    ranked = sorted(results, key=lambda pair: (Decimal(pair[1]["total_usd"]), str(pair[0])))
    typer.echo(json.dumps([{"urdb": str(path), "tariff": result["tariff"], "total_usd": result["total_usd"],
                            "months": {m["month"]: m["total_usd"] for m in result["months"]}}
                           for path, result in ranked], indent=2))


@app.command("import")
def import_tariff(
    urdb: Annotated[Path, typer.Option("--urdb", help="URDB tariff JSON (a rate or an API response).")],
    campus: Annotated[str, typer.Option("--campus", help="Campus id.")],
    key: Annotated[str, typer.Option("--key", help="Contract key; an existing key gets its next version.")],
    effective_from: Annotated[str, typer.Option("--effective-from", help="YYYY-MM-DD, campus local date.")],
    tenant: Annotated[str | None, typer.Option("--tenant", help="Tenant billed; omit for the campus bill.")] = None,
    holidays: Annotated[Path | None, typer.Option("--holidays", help="File of YYYY-MM-DD dates.")] = None,
    tier_fill: Annotated[str, typer.Option("--tier-fill", help="shared (default) or chronological.")] = "shared",
) -> None:
    """Store a URDB tariff as a versioned `urdb_tariff` contract of a campus (an amendment adds a version)."""
    from db import make_engine, resolve_database_url
    from settings import Settings
    from settlement import add_contract
    from settlement.tariffs import read_holidays, unwrap_urdb_text

    try:
        rate = unwrap_urdb_text(str(urdb), _read(urdb))
        holiday_dates = sorted(read_holidays(str(holidays), _read(holidays))) if holidays else []
        terms = {"urdb": rate, "holidays": [day.isoformat() for day in holiday_dates], "tier_fill": tier_fill}
        engine = make_engine(resolve_database_url(Settings()))
        try:
            with engine.begin() as conn:
                contract = add_contract(conn, campus, key, "urdb_tariff", tenant, date.fromisoformat(effective_from),
                                        terms)
        finally:
            engine.dispose()
    except (DomainError, ValueError) as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(code=2) from error
    typer.echo(json.dumps({"contract_key": contract.contract_key, "version": contract.version,
                           "contract_version_id": contract.contract_version_id,
                           "terms_sha256_hex": contract.terms_sha256_hex}))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise BadInput(str(path), None, None, f"cannot read: {error.strerror}") from error

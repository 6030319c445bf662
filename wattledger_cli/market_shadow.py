"""`wattledger market participation` (shadow market participation; `market shadow` is the statement
reconciliation) and `wattledger market registration`: a cycle's shadow market participation and a
campus's ISO registration package, through the same service functions as `GET /cycles/{id}/shadow` and
`GET /market/campuses/{id}/registration`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from wattledger_cli.database import database_engine
from wattledger_cli.output import JsonFlag


def participation_command(
    cycle_id: str,
    as_json: JsonFlag = False,
    pdf: Annotated[Path | None, typer.Option("--pdf", dir_okay=False, help="also write the report as PDF here")] = None,
) -> None:
    """What the campus would have earned in its ISO's markets this cycle: per program revenue, avoided cost, cost and
    net, energy and emissions, the intervals where a guardrail bound, each tenant's bill effect, the rules version."""
    from billing.shadow_step import recorded_shadow
    from participation.report import shadow_report, shadow_report_pdf

    with database_engine() as engine:
        recorded = recorded_shadow(engine, cycle_id)
    report = shadow_report(cycle_id, recorded)
    if pdf is not None:
        pdf.write_bytes(shadow_report_pdf(report))
    if as_json:
        typer.echo(json.dumps({"cycle_id": cycle_id, **recorded}, sort_keys=True, indent=2))
        return
    typer.echo(report.title)
    if report.status != "computed":
        typer.echo(f"{report.status}: {report.note}")
        return
    typer.echo(report.subtitle)
    typer.echo(f"rules version {report.rules_version}")
    for row in (*report.program_rows, report.total_row):
        typer.echo(f"  {row[0]}: revenue {row[1]}, avoided {row[2]}, cost {row[3]}, net {row[4]}; {row[5]}, {row[6]}")
    for tenant, effect in report.tenant_rows:
        typer.echo(f"  tenant {tenant}: bill effect {effect}")
    typer.echo(f"  guardrail bound in {report.bound_count} interval(s)")
    for start, program, rules, reasons in report.bound_rows[:5]:
        typer.echo(f"    {start} {program} {rules}: {reasons}")
    if pdf is not None:
        typer.echo(f"PDF written to {pdf}")


def registration_command(
    campus_id: str,
    iso: Annotated[str, typer.Option("--iso", help="PJM or ERCOT: whose registration fields")],
    csv_out: Annotated[bool, typer.Option("--csv", help="print CSV instead of JSON")] = False,
    out: Annotated[Path | None, typer.Option("--out", dir_okay=False, help="write to this file instead")] = None,
) -> None:
    """The campus's resource data (meters, node, capacity, telemetry points, generators, tenants' interruptible MW)
    in the ISO's registration fields, from its latest campus file; fields the campus model lacks are listed."""
    from billing.shadow_step import campus_registration
    from participation.registration import registration_csv

    with database_engine() as engine:
        package = campus_registration(engine, campus_id, iso.upper())
    text = registration_csv(package) if csv_out else json.dumps(package, sort_keys=True, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        typer.echo(f"{iso.upper()} registration package for {campus_id} written to {out} "
                   f"({len(package['fields'])} fields, {len(package['missing'])} to supply)")

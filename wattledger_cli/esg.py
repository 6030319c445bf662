"""`wattledger esg ...` commands: the factor library, a cycle's emissions, statements, reports, exports and
certificates. Database commands use WATTLEDGER_DATABASE_URL, else the embedded server."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from common.errors import BadInput, DomainError
from wattledger_cli.database import database_engine
from wattledger_cli.esg_rates import app as rates_app
from wattledger_cli.output import JsonFlag, print_rows

if TYPE_CHECKING:
    from esg.certificates import CertificateClaim, CertificateLot
    from esg.factors import HourlyGridIntensity

app = typer.Typer(help="Emissions: factor library, Scope 1/2/3 reports.", no_args_is_help=True)
app.add_typer(rates_app, name="rates")


def _utc(text: str, name: str) -> datetime:
    value = datetime.fromisoformat(text)  # Python 3.11 reads a trailing "Z" as UTC
    if value.tzinfo is None:
        raise typer.BadParameter(f"{name} needs a UTC offset, e.g. 2025-07-01T00:00:00Z")
    return value


@app.command("factors")
def factors_command(
    register: Annotated[bool, typer.Option(help="store the library in the database")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List the factor editions and tables of the library (file hashes checked); optionally register them."""
    from esg.factors import load_factor_library, register_factor_library

    library = load_factor_library()
    rows = [{"edition_id": edition.edition_id, "valid_from": edition.valid_from, "valid_to": edition.valid_to,
             "kind": kind, "table_id": table_id, "confidence": library.tables[table_id].confidence,
             "sha256": library.tables[table_id].sha256, "description": edition.description}
            for edition in library.editions.values() for kind, table_id in sorted(edition.tables.items())]
    print_rows(rows, as_json, title="emission factor editions and their tables",
               columns=["edition_id", "valid_from", "valid_to", "kind", "table_id", "confidence", "sha256"])
    if register:
        with database_engine() as engine, engine.begin() as conn:
            added = register_factor_library(conn)
        typer.echo(f"registered: {', '.join(added) if added else 'nothing new'}")


@app.command("compute")
def compute_command(
    intervals_uri: str,
    campus: Annotated[
        str, typer.Option(help="campus id (meters, overrides and claims come from the database)")
    ],
    start: Annotated[str, typer.Option(help="period start, UTC, e.g. 2025-07-01T05:00:00Z")],
    end: Annotated[str, typer.Option(help="period end (exclusive), UTC")],
    subregion: Annotated[
        str | None, typer.Option(help="eGRID subregion, e.g. ERCT; default: the campus's")
    ] = None,
    edition: Annotated[
        str | None, typer.Option(help="factor edition; default: the one valid at the period midpoint")
    ] = None,
    gwp: Annotated[str | None, typer.Option(help="AR4 | AR5 | AR6; default: the campus file's")] = None,
    grid_intensity: Annotated[
        Path | None, typer.Option(help="hourly grid intensity: Electricity Maps CSV (.csv) or WattTime v3 co2_aoer "
                                       "(.json); needs --subregion")
    ] = None,
    cycle_key: Annotated[
        str | None, typer.Option(help="record the result under this key (restates on change)")
    ] = None,
    reason: Annotated[str, typer.Option(help="why this version is recorded")] = "computed from the CLI",
) -> None:
    """Compute a cycle's emissions from an interval Parquet; print the campus figures (and record them under a key
    of your own: a settled billing cycle changes only through `restate`)."""
    from esg.factors import register_factor_library
    from esg.reporting import record_cycle_emissions
    from esg.scopes import compute_campus_cycle

    try:
        intensity = _grid_intensity(grid_intensity, subregion) if grid_intensity is not None else None
        with database_engine() as engine, engine.begin() as conn:
            emissions = compute_campus_cycle(
                conn,
                campus,
                intervals_uri,
                subregion,
                _utc(start, "start"),
                _utc(end, "end"),
                edition,
                gwp_set=gwp,
                grid_intensity=intensity,
            )
            outcome = None
            if cycle_key:
                register_factor_library(conn)
                outcome = record_cycle_emissions(conn, campus, cycle_key, emissions, reason)
    except DomainError as error:
        _fail(f"{error}; nothing was stored")
    summary = {
        name: getattr(emissions, name)
        for name in (
            "factor_edition",
            "gwp_set",
            "campus_scope1_g_co2e",
            "campus_scope2_location_g_co2e",
            "campus_scope2_market_g_co2e",
            "campus_scope2_market_hourly_g_co2e",
            "campus_scope3_cat3_g_co2e",
        )
    }
    summary["tenant_g_co2e"] = emissions.tenant_g_co2e
    if outcome is not None:
        summary["recorded"] = {"status": outcome.status, "version": outcome.version}
        if outcome.delta is not None:
            summary["recorded"]["delta_campus_g_co2e"] = outcome.delta.campus_g_co2e
    typer.echo(json.dumps(summary, indent=2, sort_keys=True))


@app.command("restate")
def restate_command(
    cycle_id: str,
    reason: Annotated[str, typer.Option(help="why the cycle is restated")],
    edition: Annotated[
        str | None, typer.Option(help="factor edition; default: the one valid at the period midpoint")
    ] = None,
) -> None:
    """Recompute a settled billing cycle's emissions; a changed result is a new version whose delta legs are
    posted to the ledger as an adjustment of the settlement (one transaction); print version and delta."""
    from esg.reporting import restate_billing_cycle
    from ledger import publish_checkpoints_after_commit
    from settings import Settings

    settings = Settings()
    try:
        with database_engine(settings) as engine:
            with engine.begin() as conn:
                outcome = restate_billing_cycle(conn, cycle_id, edition, reason, settings.ledger_origin,
                                                settings.signing_key_path)
            publish_checkpoints_after_commit(engine, settings.ledger_origin, settings.checkpoint_publish_dir,
                                             settings.ledger_witnesses)
    except DomainError as error:
        _fail(f"{error}; nothing was stored")
    delta = dataclasses.asdict(outcome.delta) if outcome.delta is not None else None
    posted = outcome.ledger_idempotency_key if outcome.status == "restated" else None
    typer.echo(
        json.dumps(
            {"status": outcome.status, "version": outcome.version, "delta": delta, "ledger_idempotency_key": posted},
            indent=2, sort_keys=True,
        )
    )


@app.command("statement")
def statement_command(
    cycle_key: str, tenant: str, format: Annotated[str, typer.Option(help="text | html | json | pdf")] = "text",
    out: Annotated[Path | None, typer.Option(help="write to this file instead (needed for pdf)")] = None,
) -> None:
    """Print a tenant's emissions statement for a recorded cycle (json: every field, as the API answers it; pdf:
    the text statement as PDF, written to --out)."""
    from esg.reporting import (
        render_statement_html,
        render_statement_pdf,
        render_statement_text,
        statement_for_cycle,
    )

    if format not in ("text", "html", "json", "pdf"):
        raise typer.BadParameter(f"--format {format!r} is not text, html, json or pdf")
    if format == "pdf" and out is None:
        raise typer.BadParameter("--format pdf writes a file: name it with --out")
    try:
        with database_engine() as engine, engine.connect() as conn:
            statement = statement_for_cycle(conn, cycle_key, tenant)
    except DomainError as error:
        _fail(str(error))
    if format == "pdf":
        assert out is not None  # checked above
        out.write_bytes(render_statement_pdf(statement))
        typer.echo(f"wrote {out}")
        return
    rendered = {"json": lambda: json.dumps(dataclasses.asdict(statement), sort_keys=True) + "\n",
                "html": lambda: render_statement_html(statement), "text": lambda: render_statement_text(statement)}
    body = rendered[format]()
    if out is not None:
        out.write_text(body, encoding="utf-8")
        typer.echo(f"wrote {out}")
    else:
        typer.echo(body, nl=False)


@app.command("report")
def report_command(
    cycle_key: str, out: Path,
    preparer: Annotated[str, typer.Option(help="who prepared the report (named on it)")] = "wattledger operator",
    base_year: Annotated[int | None, typer.Option(help="the reporting entity's base year")] = None,
) -> None:
    """Write the campus GHG report of a cycle (the settled result until restated); `.pdf` gives PDF, else HTML."""
    from esg.reporting import campus_report_html, campus_report_pdf, report_for_cycle

    try:
        with database_engine() as engine, engine.connect() as conn:
            emissions, context = report_for_cycle(conn, cycle_key, preparer, datetime.now(UTC).date(), base_year)
    except DomainError as error:
        _fail(str(error))
    if out.suffix == ".pdf":
        out.write_bytes(campus_report_pdf(emissions, context))
    else:
        out.write_text(campus_report_html(emissions, context), encoding="utf-8")
    typer.echo(f"wrote {out}")


@app.command("export")
def export_command(
    cycle_key: str, kind: Annotated[str, typer.Argument(help="parties | hourly | campus | methods")], out: Path
) -> None:
    """Export a recorded cycle as CSV or Parquet (by the suffix of OUT)."""
    from esg.reporting import SCHEMAS, export_csv, export_parquet_bytes, stored_cycle

    if kind not in SCHEMAS:
        raise typer.BadParameter(f"kind must be one of {sorted(SCHEMAS)}")
    try:
        with database_engine() as engine, engine.connect() as conn:
            _, emissions = stored_cycle(conn, cycle_key)
    except DomainError as error:
        _fail(str(error))
    if out.suffix == ".parquet":
        out.write_bytes(export_parquet_bytes(emissions, kind))
    else:
        out.write_text(export_csv(emissions, kind), encoding="utf-8")
    typer.echo(f"wrote {out}")


@app.command("evidence")
def evidence_command(
    cycle_key: str, directory: Path,
    preparer: Annotated[str, typer.Option(help="who prepared the report (named on it)")] = "wattledger operator",
    base_year: Annotated[int | None, typer.Option(help="the reporting entity's base year")] = None,
) -> None:
    """Write an evidence package into an empty DIRECTORY: result, reports, exports, interval data, factor files
    and rows, ledger inclusion proofs, SHA256SUMS."""
    from esg.reporting import evidence_for_cycle
    from settings import Settings

    settings = Settings()
    try:
        with database_engine(settings) as engine, engine.connect() as conn:
            names = evidence_for_cycle(conn, cycle_key, settings.ledger_origin, directory, preparer,
                                       datetime.now(UTC).date(), base_year)
    except (DomainError, FileExistsError) as error:
        _fail(str(error))
    typer.echo(
        f"wrote {len(names)} files to {directory}; check with: cd {directory} && sha256sum -c SHA256SUMS"
    )


@app.command("certificates")
def certificates_command(
    file: Path, campus: Annotated[str, typer.Option(help="campus the claims are for")]
) -> None:
    """Load certificate lots and claims from a JSON file {"lots": [...], "claims": [...]} (times with offsets).

    Each lot names its registry, serial range (serial_start, serial_end), vintage, location and technology;
    each claim retires Wh of a lot for a tenant and period and is recorded in the ledger. All or nothing.
    """
    from esg.certificates import CertificateClaim, CertificateLot, claim_certificate, register_certificate_lot
    from ledger import publish_checkpoints_after_commit
    from settings import Settings

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise BadInput(str(file), None, None, 'must be a JSON object {"lots": [...], "claims": [...]}')
        lots = [CertificateLot(**_lot_fields(file, index, lot)) for index, lot in enumerate(data.get("lots", []))]
        claims = [CertificateClaim(**_claim_fields(file, index, claim))
                  for index, claim in enumerate(data.get("claims", []))]
        settings = Settings()
        with database_engine(settings) as engine:
            with engine.begin() as conn:
                for lot in lots:
                    register_certificate_lot(conn, lot)
                for claim in claims:
                    claim_certificate(conn, campus, claim, settings.ledger_origin, settings.signing_key_path)
            publish_checkpoints_after_commit(engine, settings.ledger_origin, settings.checkpoint_publish_dir,
                                             settings.ledger_witnesses)
    except json.JSONDecodeError as error:
        _fail(f"{file}, line {error.lineno}: not JSON ({error.msg}); nothing was stored")
    except DomainError as error:
        _fail(f"{error}; nothing was stored")
    typer.echo(f"lots {len(lots)}, claims {len(claims)} loaded")


def _grid_intensity(file: Path, subregion: str | None) -> HourlyGridIntensity:
    """An hourly series from its file: Electricity Maps CSV or WattTime v3 JSON, by extension."""
    from esg.factors import parse_electricitymaps_csv, parse_watttime_aoer_json

    if subregion is None:
        raise BadInput(str(file), None, "--subregion", "an hourly series names the subregion it is for")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(str(file), None, None, f"cannot be read: {error}") from None
    if file.suffix.lower() == ".json":
        return parse_watttime_aoer_json(text, str(file), subregion)
    return parse_electricitymaps_csv(text, str(file), subregion)


def _fail(message: str) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(1)


def _field_names(kind: type[CertificateLot | CertificateClaim]) -> set[str]:
    return {field.name for field in dataclasses.fields(kind)}


def _fields(file: Path, where: str, item: object, known: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise BadInput(str(file), None, where, "must be a JSON object")
    for name in sorted(set(item) - known):
        raise BadInput(str(file), None, f"{where}.{name}", "unknown field")
    for name in sorted(required - set(item)):
        raise BadInput(str(file), None, f"{where}.{name}", "missing")
    return dict(item)


def _instant(file: Path, where: str, value: object) -> datetime:
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError as error:
        raise BadInput(str(file), None, where, f"{value!r} is not an ISO 8601 instant") from error
    if instant.tzinfo is None:
        raise BadInput(str(file), None, where, "needs a UTC offset, e.g. 2025-07-01T00:00:00Z")
    return instant


def _lot_fields(file: Path, index: int, lot: object) -> dict[str, Any]:
    from esg.certificates import CertificateLot

    required = {"lot_id", "instrument", "technology", "zone", "vintage_start_utc", "vintage_end_utc", "energy_wh",
                "emission_rate_g_co2e_per_mwh", "registry", "serial_start", "serial_end", "location"}
    fields = _fields(file, f"lots[{index}]", lot, _field_names(CertificateLot), required)
    for name in ("vintage_start_utc", "vintage_end_utc"):
        fields[name] = _instant(file, f"lots[{index}].{name}", fields[name])
    for name in ("energy_wh", "emission_rate_g_co2e_per_mwh", "serial_start", "serial_end", "certificate_wh"):
        if name in fields and type(fields[name]) is not int:
            raise BadInput(str(file), None, f"lots[{index}].{name}", "must be an integer")
    if fields.get("commissioning_date"):
        try:
            fields["commissioning_date"] = date.fromisoformat(str(fields["commissioning_date"]))
        except ValueError as error:
            raise BadInput(str(file), None, f"lots[{index}].commissioning_date", "not a date") from error
    return fields


def _claim_fields(file: Path, index: int, claim: object) -> dict[str, Any]:
    from esg.certificates import CertificateClaim

    claim_fields = _field_names(CertificateClaim)
    fields = _fields(file, f"claims[{index}]", claim, claim_fields, claim_fields)
    for name in ("consumption_start_utc", "consumption_end_utc"):
        fields[name] = _instant(file, f"claims[{index}].{name}", fields[name])
    if type(fields["energy_wh"]) is not int:
        raise BadInput(str(file), None, f"claims[{index}].energy_wh", "must be an integer")
    return fields

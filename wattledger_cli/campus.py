"""`wattledger campus ...`: check, preview, apply and read campus files (docs/campus-file.md)."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from common.errors import DomainError
from wattledger_cli.output import JsonFlag, print_rows

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from campus import Change
    from campus.file import CampusDocument
    from campus.service import ApplyResult

app = typer.Typer(help="Campus model: validate, plan, apply, list, show, history, export.", no_args_is_help=True)
T = TypeVar("T")
FileArg = Annotated[Path, typer.Argument(help="campus file (TOML)", exists=True, dir_okay=False)]


def _fail(error: DomainError) -> NoReturn:
    problems = getattr(error, "problems", None)
    if problems:
        typer.echo(f"Error: {getattr(error, 'source', '')}: {len(problems)} problem(s)", err=True)
        for problem in problems:
            typer.echo(f"  {problem}", err=True)
    else:
        typer.echo(f"Error: {error}", err=True)
    raise typer.Exit(code=1)


def _read(path: Path) -> CampusDocument:
    from campus.file import read_campus_file

    try:
        return read_campus_file(path)
    except DomainError as error:
        _fail(error)


def _with_db(action: Callable[[Engine], T]) -> T:
    from db import make_engine, resolve_database_url, upgrade_schema
    from settings import Settings

    url = resolve_database_url(Settings())
    upgrade_schema(url)  # a newcomer's first command may be `campus apply` on a fresh database
    engine = make_engine(url)
    try:
        return action(engine)
    except DomainError as error:
        _fail(error)
        raise  # unreachable: _fail exits
    finally:
        engine.dispose()


def _check_settlement_node(engine: Engine, document: CampusDocument) -> None:
    """The campus's settlement point against its ISO's node registry: refused (file, line, field) when unknown or
    not in force over the meters' service; a warning when no registry is loaded for the ISO."""
    from market_adapters.nodes import check_settlement_node

    with engine.connect() as conn:
        warnings = check_settlement_node(conn, document.document, document.source_name,
                                         document.settlement_point_line)
    for warning in warnings:
        typer.echo(f"Warning: {warning}", err=True)


@app.command("validate")
def validate(path: FileArg) -> None:
    """Check a campus file without a database: every problem with its line, field and reason."""
    document = _read(path)
    typer.echo(f"{path}: valid campus {document.campus_id} ({len(document.document['tenants'])} tenants, "
               f"{len(document.document['meters'])} meters, {len(document.document['contracts'])} contracts), "
               f"sha256 {document.sha256_hex}")


@app.command("plan")
def plan(path: FileArg) -> None:
    """Show what `apply` would change, like a diff; changes nothing."""
    from campus.service import plan as plan_changes

    document = _read(path)

    def action(engine: Engine) -> list[Change]:
        _check_settlement_node(engine, document)
        with engine.connect() as conn:
            return plan_changes(conn, document)

    changes = _with_db(action)
    for change in changes:
        typer.echo(str(change))
    typer.echo(f"{len(changes)} change(s)" if changes else "no changes: the applied version is this file")


@app.command("apply")
def apply(path: FileArg, by: Annotated[str, typer.Option(help="who applies it (recorded)")] = "") -> None:
    """Apply a campus file: one new version, atomically; the same file again changes nothing."""
    from campus.service import apply as apply_document

    document = _read(path)

    def action(engine: Engine) -> ApplyResult:
        _check_settlement_node(engine, document)
        return apply_document(engine, document, by or getpass.getuser())

    result = _with_db(action)
    for change in result.changes:
        typer.echo(str(change))
    verb = "applied as" if result.applied else "unchanged, already"
    typer.echo(f"campus {result.campus_id} {verb} version {result.version} (sha256 {result.document_sha256_hex})")


@app.command("show")
def show(campus_id: str, version: Annotated[int | None, typer.Option(help="an earlier version")] = None) -> None:
    """Print the applied campus document (JSON) with its version."""
    from campus.service import show as show_document

    def action(engine: Engine) -> dict[str, Any]:
        with engine.connect() as conn:
            return show_document(conn, campus_id, version)

    typer.echo(json.dumps(_with_db(action), indent=2, default=str))


@app.command("list")
def list_command(as_json: JsonFlag = False) -> None:
    """Every registered campus: id, ISO, time zone, latest version, name."""
    from campus.service import list_campuses

    def action(engine: Engine) -> list[dict[str, Any]]:
        with engine.connect() as conn:
            return list_campuses(conn)

    print_rows(_with_db(action), as_json, title="campuses", columns=["campus_id", "iso", "time_zone", "version", "name"])


@app.command("history")
def history(campus_id: str, as_json: JsonFlag = False) -> None:
    """Every applied version: number, sha256, file name, who applied it and when."""
    from campus.service import history as version_history

    def action(engine: Engine) -> list[dict[str, Any]]:
        with engine.connect() as conn:
            return version_history(conn, campus_id)

    print_rows(_with_db(action), as_json, title=f"versions of campus {campus_id}",
               columns=["version", "applied_at_utc", "applied_by", "source_name", "document_sha256_hex"])


@app.command("export")
def export(campus_id: str, out: Annotated[Path | None, typer.Option("--out", "-o", help="file to write")] = None,
           version: Annotated[int | None, typer.Option(help="an earlier version")] = None) -> None:
    """Write the applied campus as a campus file (URDB rates inline); applying it again changes nothing."""
    from campus.service import export_toml

    def action(engine: Engine) -> str:
        with engine.connect() as conn:
            return export_toml(conn, campus_id, version)

    text = _with_db(action)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        typer.echo(f"wrote {out}")


@app.command("schema")
def schema(out: Annotated[Path | None, typer.Option("--out", "-o")] = None) -> None:
    """Print the campus file's JSON Schema (also published as docs/campus.schema.json)."""
    from campus.schema import campus_json_schema

    text = json.dumps(campus_json_schema(), indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)

"""`wattledger esg rates ...`: the market-rate library (supplier-specific rates, residual mixes, grid upstream
factors), each row with its source, edition and validity. Uses WATTLEDGER_DATABASE_URL, else the embedded
server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from common.errors import DomainError
from wattledger_cli.database import database_engine
from wattledger_cli.output import JsonFlag, print_rows

app = typer.Typer(help="Market-rate library: supplier rates, residual mixes, grid upstream factors.",
                  no_args_is_help=True)


@app.command("add")
def add_command(file: Path) -> None:
    """Register the rows of a JSON file {"rates": [{rate_id, kind, zone, g_co2e_per_mwh, source, edition,
    valid_from, valid_to?, supplier?, note?}, ...]}. All or nothing; a row already stored unchanged is a no-op."""
    from esg.factors import market_rate_from_json, register_market_rate

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        _fail(f"{file}, line {error.lineno}: not JSON ({error.msg}); nothing was stored")
    except OSError as error:
        _fail(f"{file}: {error.strerror}; nothing was stored")
    items = data.get("rates") if isinstance(data, dict) else None
    if not isinstance(items, list):
        _fail(f'{file}: must be a JSON object {{"rates": [...]}}; nothing was stored')
    try:
        rows = [market_rate_from_json(item, f"{file}, rates[{index}]") for index, item in enumerate(items)]
        with database_engine() as engine, engine.begin() as conn:
            created = [row.rate_id for row in rows if register_market_rate(conn, row)]
    except DomainError as error:
        _fail(f"{error}; nothing was stored")
    typer.echo(f"rates {len(rows)}, new {len(created)}" + (f": {', '.join(created)}" if created else ""))


@app.command("list")
def list_command(
    kind: Annotated[str | None, typer.Option(help="supplier | residual_mix | grid_upstream")] = None,
    zone: Annotated[str | None, typer.Option(help="e.g. ERCT")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print the registered rows: id, kind, zone, g CO2e/MWh, validity, source and edition."""
    from esg.factors import market_rates

    with database_engine() as engine, engine.connect() as conn:
        rows = market_rates(conn, kind, zone)
    listed = [{"rate_id": row.rate_id, "kind": row.kind, "zone": row.zone, "g_co2e_per_mwh": str(row.g_co2e_per_mwh),
               "valid": row.validity_text(), "valid_from": row.valid_from, "valid_to": row.valid_to,
               "source": row.source, "edition": row.edition, "supplier": row.supplier} for row in rows]
    print_rows(listed, as_json, title="market rates",
               columns=["rate_id", "kind", "zone", "g_co2e_per_mwh", "valid", "source", "edition", "supplier"])


def _fail(message: str) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(1)

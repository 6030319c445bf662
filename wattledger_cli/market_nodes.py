"""`wattledger market nodes ...`: load an ISO's published node list into the registry, list the lists loaded, list and
show nodes."""

from __future__ import annotations

import getpass
import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from wattledger_cli.database import database_engine
from wattledger_cli.output import JsonFlag, print_rows

app = typer.Typer(help="ISO node registry: settlement points, zones and hubs with validity dates.",
                  no_args_is_help=True)


@app.command("load")
def load_command(
    list_kind: Annotated[str, typer.Argument(
        help="ercot-settlement-points, nyiso-generators, nyiso-zones, nyiso-transmission-nodes, pjm-pnodes, "
             "isone-locations, miso-nodes, spp-settlement-locations or caiso-apnodes")],
    source: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the published list file")],
    as_of: Annotated[str | None, typer.Option(help="day the list describes (YYYY-MM-DD); ERCOT's name says it")] = None,
    by: Annotated[str, typer.Option(help="who loads it (recorded)")] = "",
) -> None:
    """Load a published list: new nodes open, nodes of its kind missing from it close (never deleted)."""
    from market_adapters.nodes import load_node_list

    day = _day(as_of)
    with database_engine() as engine:
        result = load_node_list(engine, list_kind, source.name, source.read_bytes(), as_of=day,
                                loaded_by=by or getpass.getuser())
    note = " (already loaded)" if result.already_loaded else ""
    typer.echo(f"{result.iso} {result.list_kind} as of {result.as_of}: {result.node_count} nodes, "
               f"{result.opened_count} opened, {result.closed_count} closed{note}")


@app.command("lists")
def lists_command(
    iso: Annotated[str | None, typer.Option(help="only this ISO's lists")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 200,
    as_json: JsonFlag = False,
) -> None:
    """The node lists loaded, newest first: ISO, kind, file and sha256, day described, counts, who and when."""
    from market_adapters.nodes import node_lists

    with database_engine() as engine:
        rows = node_lists(engine, iso, limit=limit)
    print_rows(rows, as_json, title="node lists loaded", columns=(  # --json adds list_id and the sha256
        "iso", "list_kind", "source_name", "as_of", "node_count", "opened_count", "closed_count", "loaded_by",
        "loaded_at_utc"))


@app.command("list")
def list_command(
    iso: str,
    search: Annotated[str | None, typer.Option(help="part of a node id or name")] = None,
    node_type: Annotated[str | None, typer.Option("--type", help="e.g. HU, LZ, RN, HUB, ZONE, GEN, LOAD ZONE")] = None,
    on: Annotated[str | None, typer.Option(help="only nodes in force on this day (YYYY-MM-DD)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 200,
    as_json: JsonFlag = False,
) -> None:
    """Nodes of an ISO's registry, by type and name."""
    from market_adapters.nodes import list_nodes

    with database_engine() as engine:
        rows = list_nodes(engine, iso, search=search, node_type=node_type, on_day=_day(on), limit=limit)
    print_rows(rows, as_json, title=f"{iso.upper()} nodes")


@app.command("show")
def show_command(iso: str, node_id: str) -> None:
    """One node with its validity, attributes and the lists that first and last named it."""
    from market_adapters.nodes import show_node

    with database_engine() as engine:
        node = show_node(engine, iso, node_id)
    typer.echo(json.dumps(node, indent=2, default=str))


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(f"{value!r} is not a day (YYYY-MM-DD)") from error

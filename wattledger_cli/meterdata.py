"""`wattledger meterdata ...` commands."""

import typer

app = typer.Typer(help="Meter data: ingest files, VEE reports, manual edits.", no_args_is_help=True)

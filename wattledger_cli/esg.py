"""`wattledger esg ...` commands."""

import typer

app = typer.Typer(help="Emissions: factor library, Scope 1/2/3 reports.", no_args_is_help=True)

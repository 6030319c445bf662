"""`wattledger tariff ...` commands."""

import typer

app = typer.Typer(help="Bill a load file against a utility tariff (OpenEI URDB JSON).", no_args_is_help=True)

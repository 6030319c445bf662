"""`wattledger invoice ...` commands."""

import typer

app = typer.Typer(help="Invoices: render, verify signatures, credit notes.", no_args_is_help=True)

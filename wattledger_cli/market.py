"""`wattledger market ...` commands."""

import typer

app = typer.Typer(help="ISO market adapters: prices, submissions, statements.", no_args_is_help=True)

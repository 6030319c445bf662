"""`wattledger ledger ...` commands."""

import typer

app = typer.Typer(help="Audit the hash-chained ledger: verify, export, prove, checkpoint.", no_args_is_help=True)

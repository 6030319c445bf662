"""`python -m wattledger_cli`: the same as `wattledger`."""

from wattledger_cli.main import app

app(prog_name="wattledger")

"""`python -m wattledger_cli`: the same as `wattledger`."""

from functools import partial

from runtime.process_exit import run_then_exit
from wattledger_cli.main import app

run_then_exit(partial(app, prog_name="wattledger"))

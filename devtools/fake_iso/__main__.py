"""`python -m devtools.fake_iso --port 8765 [--tls-dir DIR]`: the same as `wattledger market fake-iso`."""

import sys

from wattledger_cli.market import app

if __name__ == "__main__":
    app(["fake-iso", *sys.argv[1:]])

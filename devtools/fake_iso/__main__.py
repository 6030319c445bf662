"""`python -m devtools.fake_iso [--port 8765] [--first-day 2025-07-15] [--days 31] [--tls-dir DIR]`: the same as
`wattledger market fake-iso`."""

import argparse
from datetime import date
from pathlib import Path

from devtools.fake_iso.runner import serve_foreground

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m devtools.fake_iso", description="Serve the fake ISO.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--first-day", type=date.fromisoformat, default=date(2025, 7, 15))
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--tls-dir", type=Path, default=None)
    arguments = parser.parse_args()
    serve_foreground(arguments.port, arguments.first_day, arguments.days, arguments.tls_dir)

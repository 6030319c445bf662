"""Fuzz sizes: the normal suite runs a reduced count; `make test-faults` (WATTLEDGER_FAULTS=full) the full one."""

from __future__ import annotations

import os

FULL = os.environ.get("WATTLEDGER_FAULTS") == "full"


def cases(quick: int, full: int) -> int:
    return full if FULL else quick

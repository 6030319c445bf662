"""How every command prints: listings as a table (or JSON with `--json`), errors as one line.

A listing command takes `JsonFlag` and hands its rows to `print_rows`; a command printing one record uses
`print_json`. A domain error reaching the top (`Commands` below, the group of `main.app`) prints `Error: <what is wrong>` on stderr and exits
with 1; `--debug` (before the command: `wattledger --debug cycle list`) shows the traceback instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer._click.core import Context as ClickContext  # typer vendors click; its groups take this Context
from typer.core import TyperGroup

from common.errors import DomainError

if TYPE_CHECKING:
    from rich.console import Console

JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON (every field) instead of a table")]
# Written to a file or a pipe, nothing is cut to the screen: tables are as wide as their longest cell (rich draws a
# table only as wide as its content, so this is a ceiling, not a width every table takes).
WIDTH_PIPED = 10_000


def console() -> Console:
    """A console on the current stdout (made per call: test runners swap stdout)."""
    from rich.console import Console  # rich loads when something prints a table, not at start-up

    # emoji=False: an id such as `cycle:a:2026-01` is not an emoji code.
    terminal = Console(emoji=False)
    if terminal.is_terminal:
        return terminal
    # Piped: lines are never wrapped (a path stays whole for grep and copy), and tables get a wide page.
    return Console(emoji=False, width=WIDTH_PIPED, soft_wrap=True)


def print_json(value: object) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


def cell(value: object) -> str:
    if value is None:
        return "-"
    if hasattr(value, "isoformat") and hasattr(value, "hour"):  # a datetime: to the second, UTC as Z
        text: str = value.isoformat(timespec="seconds")
        return text.replace("+00:00", "Z")
    return str(value)


def print_rows(rows: Sequence[Mapping[str, Any]], as_json: bool, *, title: str,
               columns: Sequence[str] | None = None) -> None:
    """`rows` as JSON (every field) or as a table of `columns` (default: every field of the first row)."""
    from rich.table import Table
    from rich.text import Text

    if as_json:
        print_json([dict(row) for row in rows])
        return
    if not rows:
        typer.echo(f"no {title}")
        return
    names = list(columns) if columns is not None else list(rows[0])
    table = Table(title=title, title_justify="left", header_style="bold")
    for name in names:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell(row.get(name))) for name in names))  # data, not markup
    console().print(table)


def one_line(error: BaseException) -> str:
    """The error's message on one line (the first line of a multi-line message, which names what is wrong)."""
    message = str(error).strip()
    cause = getattr(error, "cause", None)  # a refused workflow update names the validator's reason in its cause
    if cause is not None and getattr(cause, "message", None):
        message = str(cause.message)
    first = message.splitlines()[0] if message else type(error).__name__
    return first


class ServiceUnreachable(DomainError):
    """A server the command needs (Temporal) did not answer: says which address and how to start or name it."""

    retryable = True


class Commands(TyperGroup):
    """The top-level group: an error escaping a command prints `Error: …` (one line) and exits with 1, unless
    `--debug` was given, which lets it through with its traceback. Usage errors (a refused option value, a
    missing argument) keep click's own message and exit code 2."""

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.TyperException, typer.Exit, typer.Abort):  # usage errors, explicit exits: as they are
            raise
        except Exception as error:
            if ctx.params.get("debug"):
                raise
            hint = "" if isinstance(error, DomainError) else f" ({type(error).__name__}; --debug shows the traceback)"
            typer.echo(f"Error: {one_line(error)}{hint}", err=True)
            raise typer.Exit(1) from None


DebugFlag = Annotated[bool, typer.Option("--debug", help="show the full traceback of an error")]


def configured_ports() -> str:
    """`API :8000, Temporal :7233, Temporal UI :8233` from the configured settings (defaults if unreadable).

    Read from the environment and `.env` the way `settings.Settings` reads them (WATTLEDGER_ prefix, any case),
    without importing pydantic: every help text shows this, and help must start at once.
    tests/unit/test_cli_startup.py checks it against Settings."""
    values = {name: _configured_port(name, default)
              for name, default in (("api_port", 8000), ("temporal_port", 7233), ("temporal_ui_port", 8233))}
    api, temporal, ui = values["api_port"], values["temporal_port"], values["temporal_ui_port"]
    return (f"API http://127.0.0.1:{api} (docs at /docs), Temporal 127.0.0.1:{temporal}, "
            f"Temporal UI http://127.0.0.1:{ui}")


SETTINGS_ENV_PREFIX = "wattledger_"
SETTINGS_ENV_FILE = ".env"


def _configured_port(name: str, default: int) -> int:
    key = SETTINGS_ENV_PREFIX + name
    environment = {variable.lower(): value for variable, value in os.environ.items()}
    text = environment.get(key)
    if text is None and Path(SETTINGS_ENV_FILE).is_file():
        from dotenv import dotenv_values

        from_file = {variable.lower(): value for variable, value in dotenv_values(SETTINGS_ENV_FILE).items()}
        text = from_file.get(key)
    try:
        return int(text) if text is not None else default
    except ValueError:  # help must print even when the environment holds a bad value
        return default

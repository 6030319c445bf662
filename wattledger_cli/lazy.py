"""Sub-commands imported when named, so `wattledger --help` and light commands start at once.

`wattledger --help` lists every area from a static table (name and one-line help); only the area a command
names is imported (its module and whatever that module imports: numba, pyarrow, sqlalchemy, temporalio...).
An entry is `"name": Lazy("module:attribute", "one-line help")`; the attribute is a `typer.Typer` (a group of
commands) or a command function. A name with a space (`"market nodes"`) adds a group inside an area's group.
tests/unit/test_cli_startup.py checks each table line against the command's own help.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import ClassVar

import typer
from typer._click.core import Command
from typer._click.core import Context as ClickContext  # typer vendors click; its groups take this Context
from typer._click.exceptions import UsageError
from typer._click.formatting import HelpFormatter
from typer.core import TyperGroup

from wattledger_cli.output import Commands


@dataclass(frozen=True)
class Lazy:
    target: str  # "module:attribute"
    help: str  # what `--help` lists beside the name: the first line of the command's own help


def load(name: str, entry: Lazy, nested: Mapping[str, Lazy]) -> Command:
    """The click command `entry` names, called `name`, with the nested entries under it (`"name sub"`)."""
    found = _target(entry)
    if isinstance(found, typer.Typer):
        for path, inner in nested.items():
            head, _, rest = path.partition(" ")
            if head != name or not rest or " " in rest:
                continue
            inner_app = _target(inner)
            if not isinstance(inner_app, typer.Typer):
                raise TypeError(f"{inner.target}: a nested entry names a typer.Typer")
            if all(group.name != rest for group in found.registered_groups):  # once, however often loaded
                found.add_typer(inner_app, name=rest)
        command: Command = typer.main.get_group(found)
    elif callable(found):
        single = typer.Typer(add_completion=False)
        single.command(name)(found)
        command = typer.main.get_command(single)
    else:
        raise TypeError(f"{entry.target}: names neither a typer.Typer nor a command function")
    command.name = name
    return command


def _target(entry: Lazy) -> object:
    module_name, _, attribute = entry.target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


class LazyCommands(Commands):
    """The top-level group with the table `lazy`: listed from the table, imported on first use."""

    lazy: ClassVar[Mapping[str, Lazy]] = {}
    _listing = False  # formatting help: list the table's one-liners without importing anything

    def list_commands(self, ctx: ClickContext) -> list[str]:
        eager = super().list_commands(ctx)
        return [*eager, *(name for name in self.lazy if " " not in name and name not in eager)]

    def get_command(self, ctx: ClickContext, cmd_name: str) -> Command | None:
        known = super().get_command(ctx, cmd_name)
        entry = self.lazy.get(cmd_name)
        if known is not None or entry is None or " " in cmd_name:
            return known
        if self._listing:
            return TyperGroup(name=cmd_name, help=entry.help)  # a stand-in: its name and one line
        command = load(cmd_name, entry, self.lazy)
        self.commands[cmd_name] = command
        return command

    def resolve_command(self, ctx: ClickContext, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except UsageError as error:
            # typer suggests among the loaded commands only: suggest among the table's too, as it would.
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if matches and "Did you mean" not in error.message and error.message.startswith("No such command"):
                suggestions = ", ".join(f"{match!r}" for match in matches)
                error.message = f"{error.message.rstrip('.')}. Did you mean {suggestions}?"
            raise

    def format_help(self, ctx: ClickContext, formatter: HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def lazy_commands(table: Mapping[str, Lazy]) -> type[LazyCommands]:
    """A top-level group class listing `table` (pass it as `typer.Typer(cls=...)`)."""
    return type("WattledgerCommands", (LazyCommands,), {"lazy": dict(table)})

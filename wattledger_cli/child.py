"""A child process of `wattledger dev` and the demo: `python -m wattledger_cli.child worker|api HOST PORT|connect
CAMPUS`.

It imports the application (a few seconds of CPU) while the parent is still starting PostgreSQL and Temporal,
then reads one line from stdin: the `WATTLEDGER_*` settings naming the servers the parent started (end of input
means the parent gave up: exit quietly). Then it runs the production entry point: the worker's `main()` (as
`python worker.py`), the API app of `api.main` under uvicorn (as `uvicorn api.main:app`) or a campus's live
connectors (as `wattledger connect run --campus CAMPUS`).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _settings_from_parent() -> bool:
    line = sys.stdin.readline()
    if not line:
        return False
    environment: dict[str, str] = json.loads(line)
    os.environ.update(environment)
    return True


def run_worker() -> None:
    import worker
    from wattledger_cli.startup_logs import quiet_if_parent_asked

    quiet_if_parent_asked()  # the worker upgrades the schema too: alembic's INFO lines
    if _settings_from_parent():
        asyncio.run(worker.main())


def run_api(host: str, port: int) -> None:
    import uvicorn

    import api.app  # noqa: F401 - the routes and their domain packages, imported before the settings arrive

    if _settings_from_parent():
        uvicorn.run("api.main:app", host=host, port=port, log_level="warning")


def run_connect(campus_id: str) -> None:
    from wattledger_cli.connect import run as connect_run

    if _settings_from_parent():
        connect_run(campus_id)


def run_role(role: str, arguments: list[str]) -> None:
    if role == "worker":
        run_worker()
    elif role == "api":
        run_api(arguments[0], int(arguments[1]))
    elif role == "connect":
        run_connect(arguments[0])
    else:
        raise SystemExit(f"unknown role {role!r}: worker, api or connect")


if __name__ == "__main__":
    from runtime.process_exit import run_then_exit

    role, *arguments = sys.argv[1:]
    run_then_exit(lambda: run_role(role, arguments))

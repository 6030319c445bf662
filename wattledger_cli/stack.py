"""The whole application for `dev` and `demo`: database and Temporal here, the worker and the API as child processes.

The parent starts (or connects to) PostgreSQL and Temporal, migrates the schema and creates the keys; the children
run the production entry points — the worker's `main()` (as `python worker.py`) and the app of `api.main` under
uvicorn — with the settings pointing at those servers, as docker-compose.yml runs them. They are started first
(`wattledger_cli/child.py`) so that their imports overlap the servers' start-up, and get the settings on stdin
once the servers are up. The API keeps answering while the worker is busy with a heavy
step. The parent supervises: a stop signal stops every child, then Temporal and PostgreSQL; a child that exits on its
own stops the rest with a message naming it. Children run in their own session (a Ctrl-C reaches only the parent,
which stops them) and, on Linux, receive SIGTERM should the parent itself die.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

import httpx

from common.errors import Conflict
from common.storage import S3Options
from connectors.service import campuses_with_channels
from db import make_engine, resolve_database_url, upgrade_schema
from ledger import cosigner_key_from_private, ledger_vkey, load_or_create_witness_key
from runtime.codec import ensure_payload_keyring
from runtime.keys import ensure_signing_key
from runtime.object_store import EmbeddedObjectStore
from runtime.signals import wait_for_stop_signal
from runtime.temporal import EmbeddedTemporal, live_home_server_ports, temporal_address
from settings import Settings

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
API_STARTUP_WAIT_S_MAX = 60.0
WITNESS_STARTUP_WAIT_S_MAX = 20.0
WITNESS_NAME = "wattledger.local/witness"
CHILD_STOP_WAIT_S_MAX = 20.0
PR_SET_PDEATHSIG = 1
# Only the first worker serves the SDK's and its own metrics ports: the API and further workers would find them taken.
METRICS_PORTS = ("temporal_metrics_port", "metrics_port")
T = TypeVar("T")
# Loaded here, not in the forked child, where loading a library could wait on a lock another thread held.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


class StackStopped(Exception):
    """The stack stopped before the work was done: a stop signal, or a child that exited on its own."""

    def __init__(self, reason: str, by_signal: bool = False) -> None:
        super().__init__(reason)
        self.by_signal = by_signal


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process
    log_path: Path | None
    exited: asyncio.Task[int] = field(init=False)

    def __post_init__(self) -> None:
        self.exited = asyncio.create_task(self.process.wait())

    async def send_settings(self, environment: dict[str, str]) -> None:
        """The `WATTLEDGER_*` settings, as one line on the child's stdin (wattledger_cli/child.py)."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write((json.dumps(environment) + "\n").encode())
            await self.process.stdin.drain()
            self.process.stdin.close()
        except (BrokenPipeError, ConnectionResetError):
            await self.exited
            raise StackStopped(self.exit_message()) from None

    def exit_message(self) -> str:
        code = self.process.returncode
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
        where = f"; see {self.log_path}" if self.log_path is not None else ""
        return f"the {self.name} process {how}{where}"


@dataclass
class Stack:
    settings: Settings
    api_base_url: str
    temporal_address: str
    children: list[Child]
    stop: asyncio.Task[int]

    async def child_exit(self) -> str:
        """Wait until any child exits and say which one and how."""
        done, _ = await asyncio.wait([child.exited for child in self.children], return_when=asyncio.FIRST_COMPLETED)
        return next(child for child in self.children if child.exited in done).exit_message()

    async def run(self, work: Awaitable[T]) -> T:
        """`work`'s result, or `StackStopped` when a stop signal arrives or a child exits first."""
        work_task = asyncio.ensure_future(work)
        exit_task = asyncio.create_task(self.child_exit())
        try:
            await asyncio.wait([work_task, self.stop, exit_task], return_when=asyncio.FIRST_COMPLETED)
            if work_task.done():
                return work_task.result()
            if exit_task.done():
                raise StackStopped(exit_task.result())
            _raise_if_stopped(self.stop)
            raise AssertionError("unreachable: one of the three tasks is done")
        finally:
            for task in (work_task, exit_task):
                task.cancel()
            await asyncio.gather(work_task, exit_task, return_exceptions=True)


def _raise_if_stopped(stop: asyncio.Task[int]) -> None:
    if stop.done():
        raise StackStopped(f"stopped by {signal.Signals(stop.result()).name}", by_signal=True)


def own_temporal_ports(settings: Settings) -> Settings:
    """Temporal ports for a stack that must not collide with another copy on the machine: the configured ones
    (WATTLEDGER_TEMPORAL_PORT/_UI_PORT, or a TEMPORAL_ADDRESS) as they are; else the ports of this home's running
    dev server (`wattledger dev` in the same folder: its temporal.sqlite must never get a second server); else two
    free loopback ports, so two homes never share a server by accident."""
    if settings.temporal_address or {"temporal_port", "temporal_ui_port"} & settings.model_fields_set:
        return settings
    running = live_home_server_ports(settings.home_abs)
    if running is not None:
        port, ui_port = running
        return settings.model_copy(update={"temporal_port": port, "temporal_ui_port": ui_port or free_port()})
    port, ui_port = free_ports(2)
    return settings.model_copy(update={"temporal_port": port, "temporal_ui_port": ui_port})


def free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports (each held until all are found, so none is picked twice)."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_environment() -> dict[str, str]:
    """This process's environment without its `WATTLEDGER_*` settings (the children get them from `settings`)."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("WATTLEDGER_")}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH")]))
    return environment


def settings_environment(settings: Settings, database_url: str, address: str,
                         unset: tuple[str, ...] = ()) -> dict[str, str]:
    """Every `WATTLEDGER_*` setting of `settings` (including what the caller changed in code, such as the demo's
    fake ISO), pointing at the servers the parent started."""
    environment: dict[str, str] = {}
    values = settings.model_dump(mode="json")
    values.update(home=str(settings.home_abs), database_url=database_url, temporal_address=address)
    for name, value in values.items():
        if value is None or name in unset:
            continue
        environment[f"WATTLEDGER_{name.upper()}"] = _environment_text(value)
    return environment


def _environment_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)  # how pydantic-settings reads complex values
    return str(value)


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent dies, so a killed `wattledger dev` leaves no worker."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


async def _start_child(name: str, argv: list[str], log_dir: Path | None) -> Child:
    log_path = None if log_dir is None else log_dir / f"{name}.log"
    output: IO[bytes] | None = None
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        output = log_path.open("ab")
    try:
        # Started from the event loop's thread: the parent-death signal follows the thread that forked.
        process = await asyncio.create_subprocess_exec(
            *argv, env=base_environment(), stdin=subprocess.PIPE, stdout=output,
            stderr=subprocess.STDOUT if output else None,
            start_new_session=True, preexec_fn=_die_with_parent)
    finally:
        if output is not None:
            output.close()
    return Child(name, process, log_path)


async def _stop_child(child: Child) -> None:
    if child.process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        child.process.send_signal(signal.SIGTERM)  # the worker drains, uvicorn closes its connections
    try:
        await asyncio.wait_for(asyncio.shield(child.exited), CHILD_STOP_WAIT_S_MAX)
    except TimeoutError:
        log.warning("the %s process did not stop within %.0f s; killing it", child.name, CHILD_STOP_WAIT_S_MAX)
        with contextlib.suppress(ProcessLookupError):
            child.process.kill()
        await child.exited


async def _wait_for_api(base_url: str, api: Child, stop: asyncio.Task[int]) -> None:
    deadline = time.monotonic() + API_STARTUP_WAIT_S_MAX
    async with httpx.AsyncClient(base_url=base_url, timeout=2.0) as http:
        while time.monotonic() < deadline:
            _raise_if_stopped(stop)
            if api.exited.done():
                raise StackStopped(api.exit_message())
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/openapi.json")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise StackStopped(f"the API did not answer on {base_url} within {API_STARTUP_WAIT_S_MAX:.0f} s")


async def _start_witness(settings: Settings, log_dir: Path | None, stop: asyncio.Task[int]) -> tuple[Child, Settings]:
    """The project's own witness (`wattledger witness serve`) with its key and state under `<home>/witness`, trusting
    the ledger's key; returns it and the settings that point the ledger at it (the worker and the API publish each
    checkpoint to it)."""
    key = cosigner_key_from_private(WITNESS_NAME, load_or_create_witness_key(settings.witness_home))
    port = settings.witness_port or free_port()
    witness = await _start_child("witness", [
        sys.executable, "-m", "wattledger_cli.main", "witness", "serve", "--home", str(settings.witness_home),
        "--name", WITNESS_NAME, "--host", "127.0.0.1", "--port", str(port),
        "--log-vkey", ledger_vkey(settings.ledger_origin, settings.signing_key_path)], log_dir)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + WITNESS_STARTUP_WAIT_S_MAX
    async with httpx.AsyncClient(base_url=url, timeout=2.0) as http:
        while True:
            _raise_if_stopped(stop)
            if witness.exited.done():
                raise StackStopped(witness.exit_message())
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/key")).text.strip() == key.vkey:
                    break
            if time.monotonic() > deadline:
                raise StackStopped(f"the witness did not answer on {url} within {WITNESS_STARTUP_WAIT_S_MAX:.0f} s")
            await asyncio.sleep(0.1)
    return witness, settings.model_copy(update={"ledger_witnesses": {url: key.vkey}})


async def _start_connectors(settings: Settings, database_url: str, address: str, log_dir: Path | None) -> list[Child]:
    """One `connect` child per campus whose campus file declares live channels (docs/connectors.md)."""
    engine = make_engine(database_url)
    try:
        campus_ids = await asyncio.to_thread(campuses_with_channels, engine)
    finally:
        engine.dispose()
    started = []
    for campus_id in campus_ids:
        child = await _start_child(f"connect-{campus_id}",
                                   [sys.executable, "-m", "wattledger_cli.child", "connect", campus_id], log_dir)
        started.append(child)
        await child.send_settings(settings_environment(settings, database_url, address, METRICS_PORTS))
    return started


@contextlib.asynccontextmanager
async def running_stack(settings: Settings, api_port: int | None = None, log_dir: Path | None = None,
                        workers: int = 1, object_store: bool = False) -> AsyncIterator[Stack]:
    """The stack until the block ends, with `workers` worker processes polling one task queue; children write to
    `log_dir`/{worker,api}.log (worker-2.log, … for further workers) when given, else inherit this terminal.
    `object_store`: SeaweedFS on free ports beside it (data under `<home>/seaweedfs`), holding every file."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    port = api_port if api_port is not None else settings.api_port
    require_free_port(settings.api_host, port)
    # Caught from the first moment to the last: a stop during startup stops what has started so far, and a
    # second Ctrl-C does not interrupt the shutdown.
    stop = asyncio.create_task(wait_for_stop_signal())
    await asyncio.sleep(0)  # let the task install its handlers
    embedded: EmbeddedTemporal | None = None
    store: EmbeddedObjectStore | None = None
    children: list[Child] = []
    try:
        # First, so that their imports overlap the servers' start-up; they wait for their settings on stdin.
        worker_children = []
        for number in range(1, workers + 1):
            name = "worker" if number == 1 else f"worker-{number}"
            worker_children.append(
                await _start_child(name, [sys.executable, "-m", "wattledger_cli.child", "worker"], log_dir))
        children.extend(worker_children)
        api = await _start_child(
            "api", [sys.executable, "-m", "wattledger_cli.child", "api", settings.api_host, str(port)], log_dir)
        children.append(api)
        ensure_signing_key(settings)
        ensure_payload_keyring(settings)  # created once here, not raced by two children
        if object_store:
            store = EmbeddedObjectStore(settings.home_abs)
            settings = settings.model_copy(update=object_store_settings(store, await asyncio.to_thread(store.start)))
            _raise_if_stopped(stop)
        if not settings.ledger_witnesses:
            witness, settings = await _start_witness(settings, log_dir, stop)
            children.append(witness)
        database_url = await asyncio.to_thread(resolve_database_url, settings)
        await asyncio.to_thread(upgrade_schema, database_url)
        _raise_if_stopped(stop)
        address, embedded = await asyncio.to_thread(temporal_address, settings)
        _raise_if_stopped(stop)
        for number, worker in enumerate(worker_children):
            # One worker serves the metrics ports; the others would find them taken.
            unset = () if number == 0 else METRICS_PORTS
            await worker.send_settings(settings_environment(settings, database_url, address, unset))
        await api.send_settings(settings_environment(settings, database_url, address, METRICS_PORTS))
        children.extend(await _start_connectors(settings, database_url, address, log_dir))
        base_url = f"http://{settings.api_host}:{port}"
        await _wait_for_api(base_url, api, stop)
        yield Stack(settings, base_url, address, children, stop)
    finally:
        # Both at once (each drains on SIGTERM): stopping one after the other only adds their shutdown times.
        await asyncio.gather(*(_stop_child(child) for child in children))
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
        if store is not None:
            await asyncio.to_thread(store.stop)
        stop.cancel()
        await asyncio.gather(stop, return_exceptions=True)


class ApiPortTaken(Conflict):
    """The API's port is in use before anything started."""


def require_free_port(host: str, port: int) -> None:
    """Refuse before anything starts when the API's port is taken (a `wattledger dev` already running in this folder,
    or another program): otherwise a second stack's worker joins the task queue, its readiness probe is answered by
    the first stack's API, and it stops only when its own API fails to bind. SO_REUSEADDR as uvicorn binds: a port
    left in TIME_WAIT by a stack just stopped is free; one with a listener is not."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ApiPortTaken(f"the API's port {host}:{port} is taken ({error.strerror}): a `wattledger dev` already "
                               "running in this folder, or another program; stop it, or give this copy its own "
                               "WATTLEDGER_API_PORT (docs/onboarding.md)") from None


def object_store_settings(store: EmbeddedObjectStore, options: S3Options) -> dict[str, object]:
    """The settings that put every file of the stack in the started store's bucket."""
    return {"data_uri": f"{store.data_uri}/data", "s3_endpoint_url": options.endpoint_url,
            "s3_access_key_id": options.access_key_id, "s3_secret_access_key": options.secret_access_key}


def run_stack(settings: Settings, work: Callable[[Stack], Awaitable[T]], api_port: int | None = None,
              log_dir: Path | None = None, workers: int = 1, object_store: bool = False) -> T:
    """Start the stack, run `work(stack)` under its supervision, stop everything; `StackStopped` when cut short."""
    async def run() -> T:
        async with running_stack(settings, api_port, log_dir, workers, object_store) as stack:
            return await stack.run(work(stack))

    return asyncio.run(run())

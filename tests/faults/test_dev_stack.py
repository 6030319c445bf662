"""`wattledger dev` runs the worker, the API and the checkpoint witness as child processes and leaves nothing running.

Real processes: the `wattledger dev` command on a temporary home, its embedded Temporal dev server on free ports,
PostgreSQL on a fresh database. SIGTERM to the parent stops every process it started; a child killed with -9
makes the parent stop the rest and exit with a message naming it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from wattledger_cli.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
API_READY_S_MAX = 90.0
STOP_S_MAX = 60.0


@pytest.fixture
def dev_process(tmp_path: Path, fault_database_url: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    api_port = free_port()
    environment = {**os.environ, "WATTLEDGER_HOME": str(tmp_path / "home"), "WATTLEDGER_API_PORT": str(api_port),
                   "WATTLEDGER_TEMPORAL_PORT": str(free_port()), "WATTLEDGER_TEMPORAL_UI_PORT": str(free_port()),
                   "WATTLEDGER_DATABASE_URL": fault_database_url, "PYTHONPATH": str(ROOT)}
    environment.pop("WATTLEDGER_TEMPORAL_ADDRESS", None)
    process = subprocess.Popen([sys.executable, "-m", "wattledger_cli.main", "dev"], cwd=tmp_path, env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield process, f"http://127.0.0.1:{api_port}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _wait_for_api(base_url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + API_READY_S_MAX
    while time.monotonic() < deadline:
        assert process.poll() is None, f"`wattledger dev` exited early:\n{process.communicate()[0]}"
        try:
            if httpx.get(f"{base_url}/openapi.json", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the API did not answer on {base_url} within {API_READY_S_MAX:.0f} s")


def _started_processes(pid: int) -> dict[str, psutil.Process]:
    """The worker, the API, the witness and the Temporal dev server, by role, from the parent's children."""
    children = psutil.Process(pid).children(recursive=True)
    roles: dict[str, psutil.Process] = {}
    for child in children:
        command = " ".join(child.cmdline())
        for role, marker in (("worker", "wattledger_cli.child worker"), ("api", "wattledger_cli.child api"),
                             ("witness", "witness serve"), ("temporal", "start-dev")):
            if marker in command:
                roles[role] = child
    return roles


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_stops_worker_api_and_temporal(dev_process: tuple[subprocess.Popen[str], str],
                                               tmp_path: Path, stop_signal: signal.Signals) -> None:
    """SIGTERM (kill, systemd) and SIGHUP (the terminal closed) stop everything, the Temporal server included."""
    process, base_url = dev_process
    _wait_for_api(base_url, process)
    started = _started_processes(process.pid)
    assert set(started) == {"worker", "api", "witness", "temporal"}
    assert started["worker"].pid != started["api"].pid != process.pid  # the API has its own process
    # What the stack wrote in its home (keys, the Temporal database, its owner file) is its owner's alone.
    written = [path for path in (tmp_path / "home").rglob("*") if path.is_file()]
    assert any(path.name == "temporal.sqlite" for path in written) and any(p.suffix == ".pem" for p in written)
    readable = [f"{path} {path.stat().st_mode & 0o777:o}" for path in written if path.stat().st_mode & 0o077]
    assert readable == [], f"files others may read: {readable}"

    process.send_signal(stop_signal)
    output = process.communicate(timeout=STOP_S_MAX)[0]
    assert process.returncode == 0, output
    assert "stopped" in output
    _gone, alive = psutil.wait_procs(list(started.values()), timeout=5)
    assert not alive, f"still running after `wattledger dev` stopped: {alive}"


def test_a_dead_worker_stops_the_stack_with_a_message(dev_process: tuple[subprocess.Popen[str], str]) -> None:
    process, base_url = dev_process
    _wait_for_api(base_url, process)
    started = _started_processes(process.pid)
    started["worker"].send_signal(signal.SIGKILL)

    output = process.communicate(timeout=STOP_S_MAX)[0]
    assert process.returncode == 1, output
    assert "the worker process was killed by signal 9: stopped the stack" in output
    _gone, alive = psutil.wait_procs(list(started.values()), timeout=5)
    assert not alive, f"still running after `wattledger dev` stopped: {alive}"


def test_a_second_dev_in_the_same_folder_is_refused_before_it_starts_anything(
        dev_process: tuple[subprocess.Popen[str], str], tmp_path: Path) -> None:
    """The API's port is checked first: the second copy starts no worker (which would join the first's task queue)
    and is not fooled by the first's API answering its readiness probe; the first runs on."""
    process, base_url = dev_process
    _wait_for_api(base_url, process)
    environment = {**os.environ, "WATTLEDGER_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT),
                   "WATTLEDGER_API_PORT": base_url.rsplit(":", 1)[1], "COLUMNS": "300"}
    second = subprocess.run([sys.executable, "-m", "wattledger_cli.main", "dev"], cwd=tmp_path, env=environment,
                            capture_output=True, text=True, timeout=60, check=False)
    assert second.returncode == 1, second.stdout + second.stderr
    assert second.stderr.startswith(f"Error: the API's port 127.0.0.1:{base_url.rsplit(':', 1)[1]} is taken")
    assert "worker" not in second.stdout and process.poll() is None
    started = _started_processes(process.pid)
    assert set(started) == {"worker", "api", "witness", "temporal"}
    process.send_signal(signal.SIGTERM)  # the fixture's kill -9 would orphan the first's Temporal server
    assert process.wait(timeout=STOP_S_MAX) == 0
    _gone, alive = psutil.wait_procs(list(started.values()), timeout=5)
    assert not alive, f"still running after `wattledger dev` stopped: {alive}"

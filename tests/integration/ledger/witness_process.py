"""A real witness process for tests: `wattledger witness serve` with its own home, trusting the given log keys."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]
WITNESS_NAME = "witness.test/w1"
START_WAIT_S_MAX = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def witness_process(home: Path, log_vkeys: list[str]) -> Iterator[tuple[str, str]]:
    """(URL, the witness's vkey) while the process runs; it is stopped at the end of the block."""
    port = _free_port()
    arguments = [sys.executable, "-m", "wattledger_cli.main", "witness", "serve", "--home", str(home),
                 "--name", WITNESS_NAME, "--port", str(port)]
    for vkey in log_vkeys:
        arguments += ["--log-vkey", vkey]
    process = subprocess.Popen(arguments, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_WAIT_S_MAX
        while True:
            try:
                witness_vkey = httpx.get(url + "/key", timeout=1).text.strip()
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    raise AssertionError(f"the witness exited: {process.stdout.read() if process.stdout else ''}")
                assert time.monotonic() < deadline, "the witness did not start"
                time.sleep(0.1)
        yield url, witness_vkey
    finally:
        process.terminate()
        process.wait(timeout=10)

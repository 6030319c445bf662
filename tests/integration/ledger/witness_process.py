"""A real witness process for tests: `wattledger witness serve` with its own home, trusting the given log keys.

It binds a port of the kernel's choosing (`--port 0`) and its first line names it, so no other process can take the
port between a free-port probe and the bind."""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]
WITNESS_NAME = "witness.test/w1"
START_WAIT_S_MAX = 60.0
LISTENING = re.compile(r"^witness \S+ on (http://127\.0\.0\.1:\d+) key (\S+)$")


def _first_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=START_WAIT_S_MAX):
            raise AssertionError(f"the witness printed nothing within {START_WAIT_S_MAX:.0f} s")
    return process.stdout.readline().strip()


@contextlib.contextmanager
def witness_process(home: Path, log_vkeys: list[str]) -> Iterator[tuple[str, str]]:
    """(URL, the witness's vkey) while the process runs; it is stopped at the end of the block."""
    arguments = [sys.executable, "-m", "wattledger_cli.main", "witness", "serve", "--home", str(home),
                 "--name", WITNESS_NAME, "--host", "127.0.0.1", "--port", "0"]
    for vkey in log_vkeys:
        arguments += ["--log-vkey", vkey]
    process = subprocess.Popen(arguments, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = _first_line(process)
        matched = LISTENING.match(line)
        if matched is None:
            rest = process.stdout.read() if process.poll() is not None and process.stdout else ""
            raise AssertionError(f"the witness did not start: {line}\n{rest}")
        url, witness_vkey = matched.groups()
        deadline = time.monotonic() + START_WAIT_S_MAX
        while httpx.get(url + "/key", timeout=5).text.strip() != witness_vkey:
            assert time.monotonic() < deadline, "the witness does not answer with its key"
            time.sleep(0.1)
        yield url, witness_vkey
    finally:
        process.terminate()
        process.wait(timeout=10)

"""Ending a process that loaded Temporal's client runtime: exit handlers run, interpreter finalization does not.

The SDK's Rust runtime keeps threads that can outlive the event loop. When CPython finalizes beside them, one of
them may take the GIL state of a dying interpreter and the process aborts ("Fatal Python error:
PyGILState_Release: thread state ... must be current when releasing", SIGABRT; temporalio/sdk-python#300). A
command that had finished and printed its answer then exits with -6 instead of its own code, and a worker or API
stopping cleanly prints a crash. So after the work, with that runtime loaded, the exit handlers run here (the
embedded PostgreSQL's stop, logging's flush) and the process ends at once with the code it meant to return.

Standard library only: the command line imports this before any command.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Callable
from typing import NoReturn

# Loaded by temporalio.client and temporalio.worker; absent, finalization is safe and runs as usual.
TEMPORAL_BRIDGE_MODULE = "temporalio.bridge.temporal_sdk_bridge"


def run_then_exit(work: Callable[[], object]) -> NoReturn:
    """Run `work` (which may raise SystemExit, as a command line does) and end the process with its exit code."""
    try:
        work()
        code: object = 0
    except SystemExit as stop:
        code = stop.code
    if TEMPORAL_BRIDGE_MODULE not in sys.modules:
        raise SystemExit(code)
    os._exit(_finish(code))


def _finish(code: object) -> int:
    """What SystemExit would have printed and returned, with the exit handlers run and the streams flushed."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)  # SystemExit("message") prints it and returns 1
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can reach the reader
            pass
    return status

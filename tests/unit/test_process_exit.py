"""A process that loaded Temporal's client runtime ends with its own exit code, its exit handlers run and its
output flushed, without the interpreter teardown that can abort beside the runtime's threads
(runtime.process_exit). Real child processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(body: str) -> subprocess.CompletedProcess[str]:
    script = textwrap.dedent(f"""
        import atexit, sys
        sys.path.insert(0, {str(ROOT)!r})
        from runtime.process_exit import run_then_exit
        atexit.register(lambda: print("exit handler ran", flush=True))
        {body}
    """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("load_temporal", "work", "code", "stderr"), [
    (True, "print('answer', end='')", 0, ""),
    (True, "raise SystemExit(3)", 3, ""),
    (True, "raise SystemExit('Error: no such cycle')", 1, "Error: no such cycle\n"),
    (False, "raise SystemExit(2)", 2, ""),
])
def test_the_exit_code_the_output_and_the_exit_handlers_survive(load_temporal: bool, work: str, code: int,
                                                                stderr: str) -> None:
    """With the runtime loaded (a Temporal Runtime with its threads is created) the process ends through
    os._exit after running the exit handlers; without it, through SystemExit as usual. Same code, same output."""
    runtime = "from temporalio.runtime import Runtime; Runtime.default()" if load_temporal else "pass"
    done = _run(f"""
        {runtime}
        def work():
            {work}
        run_then_exit(work)
    """)
    assert done.returncode == code, done.stderr
    assert done.stdout.endswith("exit handler ran\n")
    assert done.stderr == stderr
    assert ("answer" in done.stdout) == ("answer" in work)

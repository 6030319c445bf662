"""The embedded PostgreSQL is stopped by its last holder; holders that died without releasing it are forgotten, so
one killed `wattledger dev` does not leave the server running after every later one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from db import HOLDERS_FILE, forget_dead_holders


def _exited_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_holders_that_exited_are_forgotten_and_live_ones_kept(tmp_path: Path) -> None:
    dead = _exited_pid()
    (tmp_path / HOLDERS_FILE).write_text(json.dumps([dead, os.getpid()]))
    assert forget_dead_holders(tmp_path) == [dead]
    assert json.loads((tmp_path / HOLDERS_FILE).read_text()) == [os.getpid()]
    assert forget_dead_holders(tmp_path) == []  # nothing else to forget, the file is left as it is


def test_a_folder_without_a_server_has_no_holders(tmp_path: Path) -> None:
    assert forget_dead_holders(tmp_path) == []
    assert not (tmp_path / HOLDERS_FILE).exists()

"""The embedded Temporal dev server belongs to one home: a server (or any program) another home left on the port is
refused with a message naming the port and the settings to change, never used to run this home's cycles; the
home's own running server is reused (a CLI command beside `wattledger dev`)."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.temporal import OWNER_FILE_NAME, EmbeddedTemporal
from settings import Settings


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else listens on (as another home's dev server would)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_a_port_another_home_holds_is_refused(tmp_path: Path, taken_port: int) -> None:
    settings = Settings(home=tmp_path / "home-b", temporal_port=taken_port)
    with pytest.raises(RuntimeError) as refused:
        EmbeddedTemporal(settings).start()
    message = str(refused.value)
    assert f"port {taken_port}" in message and "WATTLEDGER_TEMPORAL_PORT" in message
    assert "WATTLEDGER_TEMPORAL_ADDRESS" in message


def test_a_stale_owner_file_does_not_make_the_port_ours(tmp_path: Path, taken_port: int) -> None:
    """The home once started a server on this port, which has exited; what listens now is not ours."""
    home = tmp_path / "home-a"
    home.mkdir()
    (home / OWNER_FILE_NAME).write_text(json.dumps({"port": taken_port, "pid": 2**22 + 1}))
    with pytest.raises(RuntimeError, match=f"port {taken_port}"):
        EmbeddedTemporal(Settings(home=home, temporal_port=taken_port)).start()


def test_the_homes_own_running_server_is_reused(tmp_path: Path, taken_port: int) -> None:
    home = tmp_path / "home-a"
    home.mkdir()
    (home / OWNER_FILE_NAME).write_text(json.dumps({"port": taken_port, "pid": os.getpid()}))
    embedded = EmbeddedTemporal(Settings(home=home, temporal_port=taken_port))
    assert embedded.start() == f"127.0.0.1:{taken_port}"
    assert embedded.process is None, "reused, not started: this process will not stop it"

"""`wattledger demo`'s Temporal ports: two homes never collide or share a server; a home whose `wattledger dev` is
running reuses that server (a second one on its temporal.sqlite must never start). A real dev server."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from runtime.temporal import EmbeddedTemporal, live_home_server_ports
from settings import Settings
from wattledger_cli.stack import own_temporal_ports

PORT_SETTINGS = ("WATTLEDGER_TEMPORAL_PORT", "WATTLEDGER_TEMPORAL_UI_PORT", "WATTLEDGER_TEMPORAL_ADDRESS")


@pytest.fixture(autouse=True)
def _no_configured_ports(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in PORT_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout


def _ports(settings: Settings) -> tuple[int, int]:
    return settings.temporal_port, settings.temporal_ui_port


def test_two_homes_get_ports_of_their_own(tmp_path: Path) -> None:
    first = own_temporal_ports(Settings(home=tmp_path / "a"))
    with socket.socket() as first_server:  # the first demo's Temporal, listening while the second one starts
        first_server.bind(("127.0.0.1", first.temporal_port))
        first_server.listen()
        second = own_temporal_ports(Settings(home=tmp_path / "b"))
    assert len({*_ports(first), *_ports(second)}) == 4
    assert 7233 not in {*_ports(first), *_ports(second)}


def test_configured_ports_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATTLEDGER_TEMPORAL_PORT", "7299")
    settings = own_temporal_ports(Settings(home=tmp_path / "a"))
    assert _ports(settings) == (7299, 8233)


def test_a_home_with_its_dev_server_running_reuses_it(tmp_path: Path) -> None:
    home = tmp_path / "a"
    dev = own_temporal_ports(Settings(home=home))  # as `wattledger dev` in that folder would have started it
    server = EmbeddedTemporal(dev)
    server.start()
    try:
        demo = own_temporal_ports(Settings(home=home))
        assert _ports(demo) == _ports(dev)
        other_home = own_temporal_ports(Settings(home=tmp_path / "b"))
        assert other_home.temporal_port != dev.temporal_port
    finally:
        server.stop()
    assert live_home_server_ports(home) is None  # stopped: the next demo in this home picks ports of its own

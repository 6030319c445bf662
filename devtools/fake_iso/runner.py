"""Run the fake ISO on 127.0.0.1, on a free port, in a background thread that stops when the block ends.

    with running_fake_iso(state, pki=pki) as base_url:   # https://127.0.0.1:<port> with a PKI, else http
        ...
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import uvicorn

from devtools.fake_iso.app import create_app
from devtools.fake_iso.demo import DEMO_USER, demo_state
from devtools.fake_iso.pki import TestPki, make_test_pki
from devtools.fake_iso.state import FakeIsoState

STARTUP_WAIT_S = 10.0
SHUTDOWN_WAIT_S = 10.0
POLL_S = 0.02


def serve_foreground(port: int, first_day: date, days: int, tls_dir: Path | None) -> None:
    """Serve the demo state on 127.0.0.1:`port` until Ctrl-C; with `tls_dir`, write a test CA there and require
    client certificates (`wattledger market fake-iso`, `python -m devtools.fake_iso`)."""
    options: dict[str, Any] = {}
    if tls_dir is not None:
        pki = make_test_pki(tls_dir, client_name=DEMO_USER)
        options = {"ssl_certfile": str(pki.server_cert_path), "ssl_keyfile": str(pki.server_key_path),
                   "ssl_ca_certs": str(pki.ca_cert_path), "ssl_cert_reqs": ssl.CERT_REQUIRED}
        print(f"client certificate {pki.client_cert_path}, key {pki.client_key_path}, CA {pki.ca_cert_path}")
    uvicorn.run(create_app(demo_state(first_day, days)), host="127.0.0.1", port=port, log_level="warning",
                **options)


@contextmanager
def running_fake_iso(state: FakeIsoState, *, pki: TestPki | None) -> Iterator[str]:
    """Serve the fake ISO for the duration of the block; yields its base URL. With `pki`, TLS requires a
    client certificate signed by the PKI's CA (mutual TLS)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(state), log_level="warning", access_log=False, lifespan="off",
                            **_tls_options(pki))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="fake-iso", daemon=True)
    thread.start()
    try:
        _wait_started(server, thread)
        yield f"{'https' if pki else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_WAIT_S)
        sock.close()


def _tls_options(pki: TestPki | None) -> dict[str, Any]:
    if pki is None:
        return {}
    return {"ssl_certfile": str(pki.server_cert_path), "ssl_keyfile": str(pki.server_key_path),
            "ssl_ca_certs": str(pki.ca_cert_path), "ssl_cert_reqs": ssl.CERT_REQUIRED}


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_WAIT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("fake ISO did not start")
        time.sleep(POLL_S)

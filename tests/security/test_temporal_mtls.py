"""Mutual TLS to Temporal: the clients built from the settings (worker, API, CLI) present their certificate and
check the server's; a client without a certificate from the deployment's CA, or expecting another server name,
is refused in the TLS handshake.

The Temporal dev server speaks plain gRPC only, so the TLS endpoint here is a TLS-terminating proxy in front of
it (Python's `ssl`, client certificates required), as a load balancer or sidecar would terminate it in front of
a cluster; the handshake under test is the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from runtime.binaries import find_bin
from runtime.temporal import connect
from runtime.tls import TemporalTlsError, issue_certificates
from settings import Settings

SERVER_NAME = "temporal.campus.test"


@workflow.defn(sandboxed=False)
class EchoWorkflow:
    @workflow.run
    async def run(self, text: str) -> str:
        return text


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def tls_front(upstream: str, certs: Path) -> AsyncIterator[str]:
    """Terminates TLS (client certificate required, signed by `certs/ca.pem`) and forwards to `upstream`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(certs / "ca.pem"))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(certs / "temporal.pem", certs / "temporal-key.pem")
    context.set_alpn_protocols(["h2"])
    host, port = upstream.rsplit(":", 1)

    async def forward(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(_pipe(client_reader, server_writer), _pipe(server_reader, client_writer))

    server = await asyncio.start_server(forward, "127.0.0.1", 0, ssl=context)
    async with server:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"


def _settings(tmp_path: Path, address: str, certs: Path, client: str | None = "worker",
              server_name: str = SERVER_NAME) -> Settings:
    return Settings(home=tmp_path / "home", temporal_address=address, temporal_tls_ca_path=certs / "ca.pem",
                    temporal_tls_cert_path=certs / f"{client}.pem" if client else None,
                    temporal_tls_key_path=certs / f"{client}-key.pem" if client else None,
                    temporal_tls_server_name=server_name)


HUNG_UP = r"transport error|operation was canceled.*connection closed"


async def test_only_clients_with_the_deployments_certificate_reach_temporal(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    issue_certificates(certs, [SERVER_NAME, "127.0.0.1"])
    issue_certificates(tmp_path / "stranger", ["elsewhere.test"])
    async with await WorkflowEnvironment.start_local(dev_server_existing_path=find_bin("temporal")) as env:
        upstream = env.client.service_client.config.target_host
        async with tls_front(upstream, certs) as address:
            client = await connect(address, "default", _settings(tmp_path, address, certs))
            queue = f"mtls-{uuid.uuid4()}"
            async with Worker(client, task_queue=queue, workflows=[EchoWorkflow]):
                result = await client.execute_workflow(EchoWorkflow.run, "over mutual TLS",
                                                       id=f"mtls-{uuid.uuid4()}", task_queue=queue)
            assert result == "over mutual TLS"
            stranger = tmp_path / "stranger"
            foreign_client = _settings(tmp_path, address, certs).model_copy(update={
                "temporal_tls_cert_path": stranger / "worker.pem", "temporal_tls_key_path": stranger / "worker-key.pem"})
            refused = [
                # The server hangs up: the client sees a transport error, or (when the hang-up races its first
                # call on a loaded machine) the call cancelled on a closed connection.
                (_settings(tmp_path, address, certs, client=None), HUNG_UP),
                (foreign_client, HUNG_UP),  # a certificate the deployment's CA did not sign
                (_settings(tmp_path, address, stranger), "BadSignature"),  # a server our CA did not sign
                (_settings(tmp_path, address, certs, server_name="impostor.test"), "NotValidForName"),
            ]
            for settings, reason in refused:
                with pytest.raises(RuntimeError, match=reason):
                    await asyncio.wait_for(connect(address, "default", settings), timeout=30)


def test_tls_settings_are_checked_before_connecting(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    files = issue_certificates(certs, [SERVER_NAME])
    assert (files.server_key.stat().st_mode & 0o777) == 0o600
    assert all((key.stat().st_mode & 0o777) == 0o600 for _, key in files.client_certs.values())
    with pytest.raises(TemporalTlsError, match="already holds"):
        issue_certificates(certs, [SERVER_NAME])
    home = tmp_path / "home"
    with pytest.raises(TemporalTlsError, match="need WATTLEDGER_TEMPORAL_ADDRESS"):
        asyncio.run(connect("127.0.0.1:1", "default", Settings(home=home, temporal_tls_ca_path=files.ca_cert)))
    with pytest.raises(TemporalTlsError, match="go together"):
        asyncio.run(connect("127.0.0.1:1", "default", Settings(
            home=home, temporal_address="127.0.0.1:1", temporal_tls_cert_path=files.server_cert)))
    with pytest.raises(TemporalTlsError, match="CA_PATH .*missing.pem"):
        asyncio.run(connect("127.0.0.1:1", "default", Settings(
            home=home, temporal_address="127.0.0.1:1", temporal_tls_ca_path=certs / "missing.pem")))

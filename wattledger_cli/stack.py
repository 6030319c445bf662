"""The whole application in one process: database, Temporal, worker and API — for `dev` and `demo`.

Production runs these as separate processes (see docker-compose.yml); here they share one event loop so a
newcomer needs one command. Every piece is the real one: PostgreSQL, the Temporal server, the HTTP API.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from temporalio.client import Client

from api.app import create_app
from db import make_engine, resolve_database_url, upgrade_schema
from runtime.keys import ensure_signing_key
from runtime.temporal import connect, temporal_address
from settings import Settings
from worker import build_worker

log = logging.getLogger(__name__)
API_STARTUP_WAIT_S_MAX = 30.0


@dataclass
class Stack:
    settings: Settings
    engine: Engine
    client: Client
    app: FastAPI
    api_base_url: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _serve_api(app: FastAPI, host: str, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    deadline = asyncio.get_running_loop().time() + API_STARTUP_WAIT_S_MAX
    while not server.started:
        if task.done():
            task.result()
        if asyncio.get_running_loop().time() > deadline:
            raise RuntimeError(f"API did not start on {host}:{port}")
        await asyncio.sleep(0.05)
    return server, task


@contextlib.asynccontextmanager
async def running_stack(settings: Settings, api_port: int | None = None) -> AsyncIterator[Stack]:
    ensure_signing_key(settings)
    database_url = await asyncio.to_thread(resolve_database_url, settings)
    await asyncio.to_thread(upgrade_schema, database_url)
    engine = make_engine(database_url)
    address, embedded = await asyncio.to_thread(temporal_address, settings)
    try:
        client = await connect(address, settings.temporal_namespace, settings)
        app = create_app(settings, engine, client)
        port = api_port if api_port is not None else settings.api_port
        async with build_worker(client, settings, engine):
            server, task = await _serve_api(app, settings.api_host, port)
            try:
                yield Stack(settings, engine, client, app, f"http://{settings.api_host}:{port}")
            finally:
                server.should_exit = True
                await task
    finally:
        engine.dispose()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)

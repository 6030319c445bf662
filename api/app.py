"""The FastAPI application: routes of every area over one engine, one Settings and one Temporal client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine
from temporalio.client import Client

from api import web
from api.auth import authenticator
from api.body_limit import BodyLimit
from api.errors import install_error_handlers
from api.openapi import install_openapi
from api.principal import Principal
from api.routes import (
    campuses,
    contracts,
    corrections,
    cycles,
    esg,
    esg_rates,
    invoices,
    ledger,
    ledger_verify,
    live,
    market,
    meter_data,
    ops,
    participation,
)
from runtime.temporal import connect
from settings import Settings

Authenticator = Callable[[Request], Principal]


def create_app(settings: Settings, engine: Engine, temporal_client: Client | None,
               authenticate: Authenticator | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Production (`uvicorn api.main:app`) connects inside the server's own event loop.
        if app.state.temporal_client is None and settings.temporal_address:
            app.state.temporal_client = await connect(settings.temporal_address, settings.temporal_namespace, settings)
        yield

    # /docs (Swagger UI) and /redoc load their scripts and styles from the app itself, not a CDN, so they work
    # on a machine without internet access; Authorize is remembered across page reloads.
    app = FastAPIOffline(
        lifespan=lifespan,
        swagger_ui_parameters={"persistAuthorization": True},
        title="wattledger",
        version="0.1.0",
        description="Meter-to-cash for behind-the-meter campuses: meter data, settlement, approval, "
        "invoices, ISO submission, emissions and a verifiable ledger.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.temporal_client = temporal_client
    app.state.authenticate = authenticate or default_authenticator(settings, engine)
    install_error_handlers(app)
    install_openapi(app)
    for module in (cycles, corrections, ledger_verify, ledger, meter_data, campuses, contracts, market, esg, esg_rates,
                   invoices, participation, live):
        app.include_router(module.router)
    app.include_router(web.router)  # finance pages, /finance/...
    app.include_router(ops.router)  # /metrics and the Temporal codec server /codec/encode|decode
    ops.add_codec_cors(app, settings)
    app.add_middleware(BodyLimit, limit_bytes=settings.request_body_bytes_max)
    return app


def default_authenticator(settings: Settings, engine: Engine) -> Authenticator:
    return authenticator(settings, engine)

"""FastAPI dependencies: the Settings, engine and Temporal client built once at start-up.

`api.app.create_app` stores them on `app.state`; routes ask for them through these functions so tests can
build an app around their own engine.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from temporalio.client import Client

from api.principal import Principal
from settings import Settings


# app.state is untyped (Starlette's State); the annotations below are what create_app stores there.
def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_temporal_client(request: Request) -> Client:
    client: Client = request.app.state.temporal_client
    return client


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
TemporalDep = Annotated[Client, Depends(get_temporal_client)]


def get_principal(request: Request) -> Principal:
    """Authenticate the request with the app's authenticator; it raises 401 when it cannot."""
    principal: Principal = request.app.state.authenticate(request)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]

"""The database engine a CLI command works in: built from the Settings, disposed when the command ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from settings import Settings


@contextmanager
def database_engine(settings: Settings | None = None) -> Iterator[Engine]:
    # Imported here, not at module top: `wattledger --help` must not load SQLAlchemy or the settings.
    from db import make_engine, resolve_database_url
    from settings import Settings

    engine = make_engine(resolve_database_url(settings or Settings()))
    try:
        yield engine
    finally:
        engine.dispose()

"""ASGI entry point for production (`uvicorn api.main:app`): configured servers only, no embedded ones.

Settings come from the environment; the Temporal client connects in the app's lifespan; the schema is
upgraded by the worker or `wattledger db upgrade`.
"""

from __future__ import annotations

from api.app import create_app
from db import make_engine
from observability import configure_logging, configure_tracing
from runtime.private_files import keep_new_files_private
from settings import Settings

keep_new_files_private()
settings = Settings()
configure_logging(settings)  # JSON lines with WATTLEDGER_LOG_FORMAT=json; secrets masked either way
configure_tracing(settings)  # spans to WATTLEDGER_TRACE_FILE when set
if not settings.temporal_address or not settings.database_url:
    raise RuntimeError("api.main needs WATTLEDGER_DATABASE_URL and WATTLEDGER_TEMPORAL_ADDRESS; use `wattledger dev`")
app = create_app(settings, make_engine(settings.database_url), None)

"""The fake ISO: one FastAPI app emulating the ISO surfaces listed in iso-formats.md §8, plus admin hooks.

Admin (`/_fake/...`): inject 5xx faults or 429 throttling for the next requests, and publish statement runs.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from devtools.fake_iso.file_drop_api import file_drop_router
from devtools.fake_iso.nyiso_api import nyiso_router
from devtools.fake_iso.price_feeds_api import price_feeds_router
from devtools.fake_iso.settlement_api import settlement_router
from devtools.fake_iso.state import FakeIsoState


class FaultRequest(BaseModel):
    status_code: int = Field(ge=429, le=599)
    count: int = Field(ge=1, le=100)


def create_app(state: FakeIsoState) -> FastAPI:
    app = FastAPI(title="wattledger fake ISO", openapi_url=None, docs_url=None, redoc_url=None)
    app.include_router(nyiso_router(state))
    app.include_router(settlement_router(state))
    app.include_router(file_drop_router(state))
    app.include_router(price_feeds_router(state))

    @app.post("/_fake/faults")
    async def inject_faults(fault: FaultRequest) -> dict[str, Any]:
        if fault.status_code == 429:
            state.throttle(fault.count)
        else:
            state.inject_faults(fault.status_code, fault.count)
        return {"queued": fault.count}

    return app


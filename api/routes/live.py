"""The near-real-time view of a campus's live meter channels (docs/connectors.md, "Live view").

Thin over `connectors.live`: per declared channel the last reading and its age, completeness today and this
billing period, and whether the meter is silent (no new reading for 3 × its expected period).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from api.auth import require_roles
from api.deps import EngineDep
from api.principal import Principal
from connectors.live import ChannelLive, campus_live

router = APIRouter(tags=["live"])

StaffDep = Annotated[Principal, Depends(require_roles("operator", "finance", "auditor"))]


class CampusLivePublic(BaseModel):
    campus_id: str
    now_utc: datetime
    day: date
    period: str
    silent_count: int
    channels: list[ChannelLive]  # connectors' own record of a channel's figures, served as it is


def live_view(engine: Any, campus_id: str) -> dict[str, Any]:
    view = campus_live(engine, campus_id, datetime.now(UTC))
    return {**asdict(view), "silent_count": view.silent_count}


@router.get("/campuses/{campus_id}/live", response_model=CampusLivePublic)
async def get_campus_live(campus_id: str, engine: EngineDep, principal: StaffDep) -> dict[str, Any]:
    """Each live channel's last reading, age, completeness (local day, billing month) and silent alarm."""
    return await run_in_threadpool(live_view, engine, campus_id)

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
from connectors.live import campus_live

router = APIRouter(tags=["live"])

StaffDep = Annotated[Principal, Depends(require_roles("operator", "finance", "auditor"))]


class LiveChannelPublic(BaseModel):
    meter_id: str
    channel: str
    protocol: str
    last_source_ts_utc: datetime | None
    last_received_ts_utc: datetime | None
    age_seconds: float | None
    expected_period_seconds: float
    silent: bool
    intervals_with_reading_today: int
    intervals_expected_today: int
    completeness_today: float | None
    intervals_with_reading_period: int
    intervals_expected_period: int
    completeness_period: float | None
    reading_count: int
    duplicate_count: int
    conflict_count: int


class CampusLivePublic(BaseModel):
    campus_id: str
    now_utc: datetime
    day: date
    period: str
    silent_count: int
    channels: list[LiveChannelPublic]


def live_view(engine: Any, campus_id: str) -> dict[str, Any]:
    view = campus_live(engine, campus_id, datetime.now(UTC))
    return {**asdict(view), "silent_count": view.silent_count}


@router.get("/campuses/{campus_id}/live", response_model=CampusLivePublic)
async def get_campus_live(campus_id: str, engine: EngineDep, principal: StaffDep) -> dict[str, Any]:
    """Each live channel's last reading, age, completeness (local day, billing month) and silent alarm."""
    return await run_in_threadpool(live_view, engine, campus_id)

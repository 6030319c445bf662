"""Every request body has a ceiling, checked before and while it is read: a declared or streamed body over it is
a 413 naming the ceiling and the route never runs; the price-file upload has its own ceiling and the meter-data
upload keeps its per-format limits. Real app over the session's PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from api.app import create_app
from api.auth import mint_token
from api.body_limit import PRICE_FILE_BYTES_MAX
from demo.campus import CAMPUS_FILE
from settings import Settings

CAMPUS_ID = "body-limit-campus"
LIMIT_BYTES = 1 << 20  # the smallest ceiling the setting allows, so the test sends little


@pytest.fixture
async def client(engine: Engine, database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(home=tmp_path / "home", database_url=database_url, request_body_bytes_max=LIMIT_BYTES)
    app = create_app(settings, engine, temporal_client=None)
    token = mint_token(settings, "olivia.operator", ["operator"], None, timedelta(minutes=10))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://wattledger.test",
                                 headers={"Authorization": f"Bearer {token}"}) as http:
        yield http


async def _chunks(total_bytes: int, chunk_bytes: int = 64 << 10) -> AsyncIterator[bytes]:
    for _ in range(total_bytes // chunk_bytes):
        yield b"x" * chunk_bytes


async def test_a_body_over_the_ceiling_is_refused_declared_or_streamed(client: httpx.AsyncClient) -> None:
    declared = await client.put("/campuses/big", content=b"#" * (LIMIT_BYTES + 1),
                                headers={"content-type": "application/toml"})
    assert declared.status_code == 413 and str(LIMIT_BYTES) in declared.json()["detail"]
    streamed = await client.post("/cycles", content=_chunks(4 * LIMIT_BYTES),
                                 headers={"content-type": "application/json"})
    assert streamed.status_code == 413 and str(LIMIT_BYTES) in streamed.json()["detail"]
    # Under the ceiling the route runs and judges the body itself.
    small = await client.post("/cycles", content=b"{", headers={"content-type": "application/json"})
    assert small.status_code == 422


async def test_upload_routes_keep_their_own_limits(client: httpx.AsyncClient) -> None:
    campus_text = CAMPUS_FILE.read_text().replace('id = "demo-campus"', f'id = "{CAMPUS_ID}"', 1)
    applied = await client.put(f"/campuses/{CAMPUS_ID}", content=campus_text.encode(),
                               headers={"content-type": "application/toml"})
    assert applied.status_code == 200, applied.text
    # A price file over the general ceiling but under its own reaches its parser: one 2 MiB field is not a CSV
    # the price readers take (422 naming the file), not a 413 and not a 500.
    prices = await client.post(f"/campuses/{CAMPUS_ID}/prices", data={"format": "nyiso-rt"},
                               files={"file": ("p.csv", b"x" * (2 * LIMIT_BYTES), "text/csv")})
    assert prices.status_code == 422 and "p.csv" in prices.text, prices.text
    too_big = await client.post(f"/campuses/{CAMPUS_ID}/prices", data={"format": "nyiso-rt"},
                                headers={"content-length": str(PRICE_FILE_BYTES_MAX + (2 << 20))},
                                files={"file": ("p.csv", b"x", "text/csv")})
    assert too_big.status_code == 413
    # The meter-data upload streams to disk under its per-format limits, not the general ceiling.
    meter_data = await client.post("/meter-data", params={"campus_id": CAMPUS_ID, "name": "a.csv"},
                                   content=b"meter,value\n" * (LIMIT_BYTES // 6))  # 2 MiB of short lines
    assert meter_data.status_code != 413, meter_data.text

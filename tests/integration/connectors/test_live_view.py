"""The live view on a real PostgreSQL: last reading and age, completeness over the campus's local day and billing
month, silent-meter alarms; and the API route answering it (figures worked by hand in each docstring)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine

from connectors.live import campus_live, completeness, intervals_ended, is_silent
from connectors.reading import Delivery, ReadingQuality, RegisterReading
from connectors.store import commit_batch
from tests.integration.connectors.conftest import apply_live_campus, channel_text

NOW = datetime(2026, 11, 3, 15, 10, tzinfo=UTC)


def reading_at(ts: datetime, register_wh: int) -> Delivery:
    reading = RegisterReading("GT1-GEN", "main", ts, ts, register_wh, ReadingQuality.GOOD, str(register_wh))
    return Delivery("test", str(register_wh).encode(), (reading,))


def test_completeness_and_silence_over_the_local_day_and_month(engine: Engine, data_root: str) -> None:
    """The demo campus is in America/New_York: on 3 Nov 2026 (EST) the local day starts at 05:00 UTC, the month at
    1 Nov 04:00 UTC (EDT). At 15:10 UTC, 40 quarter-hours of the day have ended (10 h 10 min) and 236 of the month
    (59 h 10 min). Readings at 05:00:30, 05:16 and 14:59 fill 3 of them: 0.075 and 3/236 = 0.0127. The last one is
    11 min old, beyond 3 × 60 s: silent. A declared channel with no reading is silent, its completeness 0."""
    campus_id = apply_live_campus(engine, channel_text("GT1-GEN", 1883, "plant/a") + channel_text(
        "GT1-FUEL", 1883, "plant/b").replace('unit = "Wh"', 'unit = "Wh"\nbilling = false'))
    stamps = [datetime(2026, 11, 3, 5, 0, 30, tzinfo=UTC), datetime(2026, 11, 3, 5, 16, tzinfo=UTC),
              datetime(2026, 11, 3, 14, 59, tzinfo=UTC), datetime(2026, 11, 3, 4, 59, tzinfo=UTC)]
    commit_batch(engine, data_root, campus_id, [reading_at(ts, 1_000 + n) for n, ts in enumerate(stamps)])
    view = campus_live(engine, campus_id, NOW)
    assert (str(view.day), view.period, view.silent_count) == ("2026-11-03", "2026-11", 2)
    gen, fuel = view.channels
    assert (gen.intervals_with_reading_today, gen.intervals_expected_today, gen.completeness_today) == (3, 40, 0.075)
    # 04:59 is before the local day but inside the month: 4 intervals of the month hold a reading.
    assert (gen.intervals_with_reading_period, gen.intervals_expected_period) == (4, 236)
    assert gen.completeness_period == round(4 / 236, 4)
    assert (gen.age_seconds, gen.silent, gen.reading_count) == (660.0, True, 4)
    assert (fuel.last_source_ts_utc, fuel.silent, fuel.completeness_today) == (None, True, 0.0)


def test_a_recent_reading_is_not_silent_and_nothing_ended_has_no_ratio() -> None:
    assert not is_silent(NOW - timedelta(seconds=179), NOW, timedelta(seconds=60))
    assert is_silent(NOW - timedelta(seconds=181), NOW, timedelta(seconds=60))
    assert intervals_ended(NOW, NOW + timedelta(minutes=14), 15) == 0 and completeness(0, 0) is None


async def test_the_api_answers_the_live_view(engine: Engine, data_root: str) -> None:
    """GET /campuses/{id}/live for staff: the channels and the silent count."""
    from api.app import create_app
    from api.principal import Principal
    from settings import Settings

    campus_id = apply_live_campus(engine, channel_text("GT1-GEN", 1883, "plant/a"))
    settings = Settings(data_uri=data_root)
    app = create_app(settings, engine, None, authenticate=lambda request: Principal("op", frozenset({"operator"})))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        answer = await client.get(f"/campuses/{campus_id}/live")
        missing = await client.get("/campuses/no-such-campus/live")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["campus_id"], body["silent_count"], [c["meter_id"] for c in body["channels"]]) == (
        campus_id, 1, ["GT1-GEN"])
    assert missing.status_code == 404


async def test_metrics_expose_the_live_channels(engine: Engine, data_root: str) -> None:
    """/metrics carries the connector families for a campus with channels: 2 readings stored, 1 duplicate."""
    from api.app import create_app
    from api.principal import Principal
    from settings import Settings

    campus_id = apply_live_campus(engine, channel_text("GT1-GEN", 1883, "plant/m"))
    batch = [reading_at(NOW - timedelta(minutes=2), 10), reading_at(NOW - timedelta(minutes=1), 20)]
    commit_batch(engine, data_root, campus_id, batch)
    commit_batch(engine, data_root, campus_id, batch[1:])
    app = create_app(Settings(data_uri=data_root), engine, None,
                     authenticate=lambda request: Principal("op", frozenset({"operator"})))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        text = (await client.get("/metrics")).text
    labels = f'campus="{campus_id}",channel="main",meter="GT1-GEN"'
    assert f'connector_readings_total{{{labels},protocol="mqtt_json",result="stored"}} 2.0' in text
    assert f"connector_duplicates_total{{{labels}}} 1.0" in text
    assert f"meter_last_reading_age_seconds{{{labels}}}" in text
    assert f'connector_silent_meters{{campus="{campus_id}"}}' in text


async def test_the_operator_page_shows_the_channels_and_the_silent_alarm(engine: Engine, data_root: str) -> None:
    """/finance/campuses/{id}/live for a signed-in operator: one row per channel, the alarm for the silent one."""
    from api.app import create_app
    from api.principal import Principal
    from settings import Settings

    campus_id = apply_live_campus(engine, channel_text("GT1-GEN", 1883, "plant/p"))
    app = create_app(Settings(data_uri=data_root), engine, None,
                     authenticate=lambda request: Principal("op", frozenset({"operator"})))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        page = await client.get(f"/finance/campuses/{campus_id}/live")
    assert page.status_code == 200
    assert 'data-testid="silent-alarm">1 silent meter channel(s)' in page.text
    assert "<td>GT1-GEN</td><td>main</td><td>mqtt_json</td>" in page.text and "SILENT" in page.text

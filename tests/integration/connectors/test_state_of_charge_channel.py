"""A battery's state of charge read live is a level, never energy, through the real path: a real Mosquitto (started
by the test) carries one JSON message a minute holding the discharge meter's register and the battery's level
(two `[[channels]]` on one topic); the connector (`run_campus`) stores both, the derivation writes the register's
interval energy and the level at each interval end, the cycle's own ingest and validate service functions read
the derived file: the meter's energy is the register's alone and the level is in the validated state-of-charge
file, exactly as a level from an uploaded file. Real PostgreSQL; the Temporal client is a recorder of the workflow
input.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import Engine

from billing import service as cycles_service
from campus import service as campus_service
from campus.file import parse_campus_text
from connectors.derive import derive_window
from connectors.service import run_campus
from meterdata.schema import QUALITY_ESTIMATED, QUALITY_MEASURED
from meterdata.state_of_charge import read_state_of_charge, state_of_charge_uri_for
from settings import Settings
from tests.integration.connectors.conftest import DEMO_CAMPUS, Broker
from tests.integration.connectors.test_mqtt_json_source import (
    FAST,
    Publisher,
    reading_count,
    stop,
    wait_until,
)
from tests.integration.temporal_recorder import TemporalRecorder
from workflows.billing_cycle_start import start_cycle

DAY = datetime(2026, 10, 31, tzinfo=UTC)  # the period's last day: the cycle of 2026-10 reads it
METER = "BESS1-DIS"
MINUTES = 61  # one message a minute, 18:00 to 19:00 UTC


def channels_text(port: int, topic: str) -> str:
    return "".join(f'''
[[channels]]
meter = "{METER}"
channel = "{channel}"
protocol = "mqtt_json"
unit = "Wh"
[channels.mqtt_json]
broker = "mqtt://127.0.0.1:{port}"
topic = "{topic}"
value_field = "{value_field}"
''' for channel, value_field in (("main", "energy.delivered"), ("soc", "bms.stored")))


def apply_battery_campus(engine: Engine, port: int) -> tuple[str, str]:
    campus_id = f"live-soc-{time.monotonic_ns() % 10**10}"
    topic = f"plant/{campus_id}/{METER}"
    text = DEMO_CAMPUS.read_text().replace('id = "demo-campus"', f'id = "{campus_id}"', 1).replace(
        'discharge_meter = "BESS1-DIS"', 'discharge_meter = "BESS1-DIS"\nstate_of_charge_channel = "soc"', 1)
    campus_service.apply(engine, parse_campus_text("campus.toml", (text + channels_text(port, topic)).encode(), None),
                         "test")
    return campus_id, topic


async def test_a_live_state_of_charge_is_a_level_in_vee_and_never_energy(engine: Engine, data_root: str,
                                                                          mosquitto: Broker) -> None:
    """Minute m of 18:00–19:00 UTC on 31 Oct: register 500,000 + 1,000 m Wh, level 6,000,000 − 1,100 m Wh.
    Energy: 18:00, 18:15, 18:30 and 18:45 each 15 × 1,000 = 15,000 Wh, measured (60,000 Wh in all; nothing
    before the first reading). Level at each end: 18:00 (the 17:45 interval) 6,000,000; 18:15 6,000,000 − 16,500 =
    5,983,500; 18:30 5,967,000; 18:45 5,950,500; 19:00 5,934,000, measured; 19:15 has no reading within a second,
    the 19:00 one is 15 min old (the hold, one interval): 5,934,000 estimated; 19:30 nothing: missing.
    So 4 energy + 6 level intervals, 1 estimated."""
    campus_id, topic = apply_battery_campus(engine, mosquitto.port)
    task = asyncio.create_task(run_campus(engine, data_root, campus_id, FAST))
    publisher = Publisher(mosquitto.port, f"pub-{campus_id}")
    try:
        await asyncio.sleep(1.0)  # the connector subscribes
        for minute in range(MINUTES):
            at = DAY.replace(hour=18) + timedelta(minutes=minute)
            payload = {"ts": at.isoformat(), "energy": {"delivered": 500_000 + 1_000 * minute},
                       "bms": {"stored": 6_000_000 - 1_100 * minute}}
            publisher.client.publish(topic, json.dumps(payload), qos=1)
        await wait_until(lambda: reading_count(engine, campus_id) == 2 * MINUTES, "both channels' readings")
    finally:
        publisher.close()
        await stop(task)

    derived = derive_window(engine, data_root, campus_id, DAY, DAY + timedelta(days=1), datetime.now(UTC))
    assert (derived.interval_count, derived.estimated_count, derived.rejected_count) == (10, 1, 0)
    # Every other end of the day has no level: 96 quarter hours less the 6 with one.
    assert derived.level_ends_missing_count == 96 - 6

    settings = Settings(data_uri=data_root, home=Path(data_root).parent / "home")
    started = await start_cycle(TemporalRecorder(), engine, settings, campus_id, "2026-10")  # type: ignore[arg-type]
    ingested = cycles_service.ingest(engine, settings, started.cycle_id, campus_id, "2026-10", "v1")
    result = cycles_service.validate(engine, settings, started.cycle_id, campus_id, "2026-10", "v1",
                                     ingested.intervals_uri)

    validated = pq.read_table(result.validated_uri)
    last_day = validated.filter(pc.and_(
        pc.greater_equal(validated["interval_start_utc"], pa.scalar(DAY, validated["interval_start_utc"].type)),
        pc.equal(validated["meter_id"], METER)))
    energy = [(row["interval_start_utc"].strftime("%H:%M"), row["energy_wh"]) for row in last_day.to_pylist()
              if row["energy_wh"]]
    assert energy == [("18:00", 15_000), ("18:15", 15_000), ("18:30", 15_000), ("18:45", 15_000)]
    assert sum(row["energy_wh"] for row in last_day.to_pylist()) == 60_000

    levels = read_state_of_charge(state_of_charge_uri_for(result.validated_uri))
    assert [(row["asset_id"], row["channel"], row["interval_start_utc"].strftime("%H:%M"), row["stored_wh"])
            for row in levels.to_pylist()] == [
        ("bess1", "soc", "17:45", 6_000_000), ("bess1", "soc", "18:00", 5_983_500),
        ("bess1", "soc", "18:15", 5_967_000), ("bess1", "soc", "18:30", 5_950_500),
        ("bess1", "soc", "18:45", 5_934_000), ("bess1", "soc", "19:00", 5_934_000)]

    derived_file = pq.read_table(ingested_derived_file(data_root, derived.sha256_hex))
    qualities = {(row["channel"], row["interval_start_utc"].strftime("%H:%M")): row["quality"]
                 for row in derived_file.to_pylist()}
    assert qualities[("soc", "19:00")] == QUALITY_ESTIMATED and qualities[("soc", "18:45")] == QUALITY_MEASURED


def ingested_derived_file(data_root: str, sha256_hex: str) -> str:
    return str(Path(data_root) / "raw" / sha256_hex)

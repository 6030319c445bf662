"""`wattledger demo --live`'s plant end to end: a real Mosquitto (started by the demo's own helper on a free
loopback port), an in-process Modbus server, the connectors' store in PostgreSQL, and the derived day in the
campus meter-data store.

Expected values come from the generated month the site export writes (same seed): the plant's MQTT registers
are exact at every quarter hour, so those channels' 96 intervals are the export's to the Wh and measured; the
Modbus channels are polled on the accelerated clock, so their boundaries are split from the steps across them
(estimated); register differences keep their day's total within the few simulated minutes a poll step spans at
either end of the day."""

from __future__ import annotations

import uuid
from datetime import UTC
from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy import Engine, text

from campus import service as campus_service
from campus.file import parse_campus_text
from demo.live import (
    MODBUS_METERS,
    MQTT_METERS,
    feed_live_day,
    free_port,
    live_campus_text,
    running_mosquitto,
)
from demo.site_export import month_intervals
from meterdata.schema import QUALITY_MEASURED

YEAR, MONTH, SEED = 2026, 10, 7


def _stored(engine: Engine, campus_id: str, sha256_hex: str) -> dict[str, list[tuple[int, int]]]:
    with engine.begin() as conn:
        stored_uri = conn.execute(text("SELECT stored_uri FROM raw_file WHERE sha256_hex = :s AND campus_id = :c"),
                                  {"s": sha256_hex, "c": campus_id}).scalar_one()
    table = pq.read_table(stored_uri).to_pylist()
    by_meter: dict[str, list[tuple[int, int]]] = {}
    for row in sorted(table, key=lambda r: (r["meter_id"], r["interval_start_utc"])):
        by_meter.setdefault(row["meter_id"], []).append((row["energy_wh"], row["quality"]))
    return by_meter


async def test_the_live_plant_day_is_stored_and_derived(engine: Engine, tmp_path: Path) -> None:
    mqtt_port, modbus_port = free_port(), free_port()
    campus_id = f"live-demo-{uuid.uuid4().hex[:8]}"
    campus_text = live_campus_text(mqtt_port, modbus_port).replace('id = "demo-campus"', f'id = "{campus_id}"', 1)
    campus_service.apply(engine, parse_campus_text("campus.toml", campus_text.encode(), None), "test")
    data_root = str(tmp_path / "data")
    with running_mosquitto(tmp_path / "mosquitto", mqtt_port):
        outcome = await feed_live_day(engine, data_root, campus_id, YEAR, MONTH, SEED, mqtt_port, modbus_port,
                                      say=lambda line: None)
    assert outcome.version == 1
    assert outcome.intervals_derived == 4 * 96
    # Each MQTT meter: one message a simulated minute over the day and 10 minutes either side.
    assert outcome.readings_stored >= 2 * (24 * 60 + 21)

    day = outcome.day_start_utc
    month = month_intervals(YEAR, MONTH, SEED)
    first = next(n for n, i in enumerate(month) if i.start_local.astimezone(UTC) == day)
    expected = {meter: [i.energy_wh[meter] for i in month[first:first + 96]] for meter in MQTT_METERS + MODBUS_METERS}
    stored = _stored(engine, campus_id, outcome.sha256_hex)
    for meter in MQTT_METERS:
        assert stored[meter] == [(energy_wh, QUALITY_MEASURED) for energy_wh in expected[meter]]
    for meter in MODBUS_METERS:
        assert len(stored[meter]) == 96
        # Day total: the two day boundaries are each split from a poll step of at most a few simulated minutes.
        quarter_hour_wh = max(expected[meter])
        assert abs(sum(e for e, _ in stored[meter]) - sum(expected[meter])) <= quarter_hour_wh // 3


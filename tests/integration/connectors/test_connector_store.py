"""The connector store on a real PostgreSQL: one transaction per batch, raw messages in one content-addressed
Parquet file per batch, readings idempotent on (campus, meter, channel, source time) — a redelivered batch adds
no row and moves the duplicate counter, the same key with another value is a conflict that keeps the first value.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy import Engine, text

from connectors import repository as repo
from connectors.reading import Delivery, ReadingQuality, RegisterReading
from connectors.service import campuses_with_channels, load_plan
from connectors.store import commit_batch
from tests.integration.connectors.conftest import apply_live_campus, channel_text

T0 = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def delivery(second: int, register_wh: int, topic: str = "plant/GT1-GEN") -> Delivery:
    ts = T0 + timedelta(seconds=second)
    reading = RegisterReading("GT1-GEN", "main", ts, ts + timedelta(milliseconds=30), register_wh,
                              ReadingQuality.GOOD, str(register_wh))
    payload = f'{{"ts": "{ts.isoformat()}", "wh": {register_wh}}}'.encode()
    return Delivery(f"mqtt:127.0.0.1:1/{topic}", payload, (reading,))


def test_a_batch_commits_once_and_a_redelivery_adds_nothing(engine: Engine, data_root: str) -> None:
    """Three messages stored; the same three again (a redelivery after a crash before the ack) insert nothing and
    count three duplicates; the raw batch file holds the three messages as received."""
    campus_id = apply_live_campus(engine)
    batch = [delivery(0, 1_000), delivery(1, 1_010), delivery(2, 1_025)]
    first = commit_batch(engine, data_root, campus_id, batch)
    assert (first.inserted_count, first.duplicate_count, first.conflict_count) == (3, 0, 0)
    again = commit_batch(engine, data_root, campus_id, batch)
    assert (again.inserted_count, again.duplicate_count, again.conflict_count) == (0, 3, 0)
    assert again.batch_sha256_hex == first.batch_sha256_hex  # same bytes, same file
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT register_wh FROM connector_reading WHERE campus_id = :c"
                                 " ORDER BY source_ts_utc"), {"c": campus_id}).scalars().all()
        (status,) = repo.channel_statuses(conn, campus_id)
        stored_uri = conn.execute(text("SELECT stored_uri FROM connector_batch WHERE sha256_hex = :s"),
                                  {"s": first.batch_sha256_hex}).scalar_one()
    assert rows == [1_000, 1_010, 1_025]
    assert (status.reading_count, status.duplicate_count, status.conflict_count) == (3, 3, 0)
    assert status.last_source_ts_utc == T0 + timedelta(seconds=2)
    assert Path(stored_uri).name == first.batch_sha256_hex
    table = pq.read_table(stored_uri)
    assert table["raw_message"].to_pylist() == [d.raw_message for d in batch]


def test_the_same_key_with_another_value_is_a_conflict_and_the_first_value_stays(engine: Engine,
                                                                                 data_root: str) -> None:
    """1,010 Wh at 10:00:01 stored; 9,999 Wh offered later for the same instant: kept 1,010, the offer recorded
    with both values, the conflict counted. Within one batch, the first of two values for a key wins too."""
    campus_id = apply_live_campus(engine)
    commit_batch(engine, data_root, campus_id, [delivery(1, 1_010)])
    outcome = commit_batch(engine, data_root, campus_id, [delivery(1, 9_999), delivery(5, 50), delivery(5, 60)])
    assert (outcome.inserted_count, outcome.duplicate_count, outcome.conflict_count) == (1, 0, 2)
    with engine.begin() as conn:
        values = conn.execute(text("SELECT source_ts_utc, register_wh FROM connector_reading WHERE campus_id = :c"
                                   " ORDER BY source_ts_utc"), {"c": campus_id}).all()
        conflicts = conn.execute(text("SELECT kept_register_wh, offered_register_wh FROM connector_conflict"
                                      " WHERE campus_id = :c ORDER BY conflict_id"), {"c": campus_id}).all()
        (status,) = repo.channel_statuses(conn, campus_id)
    assert [v[1] for v in values] == [1_010, 50]
    assert [tuple(c) for c in conflicts] == [(1_010, 9_999), (50, 60)]
    assert status.conflict_count == 2


def test_a_failed_transaction_leaves_no_reading(engine: Engine, data_root: str) -> None:
    """A batch naming an unregistered campus fails on its foreign key: nothing of it is stored (the raw file may
    stay, unreferenced)."""
    campus_id = apply_live_campus(engine)
    try:
        commit_batch(engine, data_root, campus_id + "-missing", [delivery(0, 1)])
        raise AssertionError("the commit should fail")
    except Exception as error:  # noqa: BLE001 - the driver's IntegrityError, whatever its wrapper
        assert "foreign key" in str(error).lower()
    with engine.begin() as conn:
        count = conn.execute(text("SELECT count(*) FROM connector_reading WHERE campus_id LIKE :c"),
                             {"c": campus_id + "%"}).scalar_one()
    assert count == 0


def test_dev_finds_the_campuses_that_declare_channels(engine: Engine) -> None:
    """`wattledger dev` starts a connector for a campus with `[[channels]]` and none for one without."""
    with_channels = apply_live_campus(engine, channel_text("GT1-GEN", 1883, "plant/x"))
    without = apply_live_campus(engine)
    found = campuses_with_channels(engine)
    assert with_channels in found and without not in found


ALL_PROTOCOLS = '''
[[channels]]
meter = "GT1-GEN"
channel = "sparkplug"
protocol = "sparkplug_b"
unit = "kWh"
[channels.sparkplug_b]
broker = "mqtt://127.0.0.1:1884"
group_id = "plant"
edge_node_id = "epms-1"
device_id = "PM8000-GT1"
metric_name = "Energy/Delivered"

[[channels]]
meter = "GT1-GEN"
channel = "opcua"
protocol = "opcua"
unit = "Wh"
[channels.opcua]
endpoint_url = "opc.tcp://127.0.0.1:4841"
namespace_uri = "urn:plant:meters"
node_identifier = "s=GT1.EnergyDelivered"

[[channels]]
meter = "GT1-GEN"
channel = "modbus"
protocol = "modbus_tcp"
unit = "kWh"
scale_power_of_ten = -1
reports = "secondary"
register_modulus = "4294967296"
[channels.modbus_tcp]
host = "127.0.0.1"
port = 5020
device_id = 2
address = 3999
table = "input"
data_type = "uint32"
word_order = "little"
'''


def test_every_protocol_declared_in_the_campus_file_gets_its_source(engine: Engine) -> None:
    """Sparkplug B, OPC UA and Modbus channels of one meter: grouped per broker, endpoint and device, each with the
    address and scaling the campus file gives."""
    campus_id = apply_live_campus(engine, channel_text("GT1-GEN", 1884, "plant/GT1") + ALL_PROTOCOLS)
    plan = load_plan(engine, campus_id, datetime.now(UTC))
    assert plan.channel_count == 4
    assert [c.topic for c in plan.mqtt_json[("127.0.0.1", 1884)]] == ["plant/GT1"]
    (sparkplug,) = plan.sparkplug[("127.0.0.1", 1884)]
    assert (sparkplug.group_id, sparkplug.edge_node_id, sparkplug.device_id, sparkplug.metric_name) == (
        "plant", "epms-1", "PM8000-GT1", "Energy/Delivered")
    (opcua,) = plan.opcua
    assert (opcua.namespace_uri, opcua.node_identifier) == ("urn:plant:meters", "s=GT1.EnergyDelivered")
    (modbus,) = plan.modbus
    assert (modbus.port, modbus.device_id, modbus.address, modbus.table.value, modbus.word_order.value) == (
        5020, 2, 3999, "input", "little")
    assert (modbus.scale_power_of_ten, modbus.register_modulus, modbus.multiplier) == (-1, 2**32, Decimal(1))


def test_the_channel_watermarks_never_move_back_and_a_bad_value_places_none(engine: Engine, data_root: str) -> None:
    """Batch 1: readings at +10 s and +20 s (received 30 ms after each). Batch 2: a late reading at +5 s and a bad
    null one at +30 s received at +30.03 s: 4 readings counted in the readings' own INSERT; the source watermark
    stays at +20 s (the late one is older, the bad one has no value), the receipt watermark moves to +30.03 s."""
    campus_id = apply_live_campus(engine)
    commit_batch(engine, data_root, campus_id, [delivery(10, 1_100), delivery(20, 1_200)])
    bad_at = T0 + timedelta(seconds=30)
    bad = RegisterReading("GT1-GEN", "main", bad_at, bad_at + timedelta(milliseconds=30), None, ReadingQuality.BAD,
                          "null")
    commit_batch(engine, data_root, campus_id, [delivery(5, 1_050), Delivery("mqtt:127.0.0.1:1/x", b"{}", (bad,))])
    with engine.begin() as conn:
        (status,) = repo.channel_statuses(conn, campus_id)
    assert (status.reading_count, status.duplicate_count, status.conflict_count) == (4, 0, 0)
    assert status.last_source_ts_utc == T0 + timedelta(seconds=20)
    assert status.last_received_ts_utc == bad_at + timedelta(milliseconds=30)

"""The campus file's live channels: declared per meter with one protocol address, checked by line and field (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from campus.errors import CampusFileInvalid
from campus.file import parse_campus_text, read_campus_file
from campus.plan import plan_changes

DEMO = Path(__file__).resolve().parents[3] / "demo" / "campus.toml"

CHANNELS = '''
[[channels]]
meter = "{meter}"
protocol = "mqtt_json"
unit = "kWh"
scale_power_of_ten = -1
register_modulus = "4294967296"
[channels.mqtt_json]
broker = "mqtt://127.0.0.1:1883"
topic = "plant/meters/{meter}"
value_field = "energy.delivered"

[[channels]]
meter = "{meter}"
channel = "export"
protocol = "modbus_tcp"
unit = "Wh"
reports = "secondary"
[channels.modbus_tcp]
host = "10.0.0.5"
device_id = 1
address = 3203
data_type = "int64"
'''


def _meter_id() -> str:
    return str(read_campus_file(DEMO).document["meters"][0]["id"])


def test_channels_are_read_into_the_document_with_their_defaults() -> None:
    """Two channels of one meter: defaults filled (channel main, primary, big word order, port 502), the
    modulus kept as exact digits."""
    meter = _meter_id()
    text = DEMO.read_text() + CHANNELS.format(meter=meter)
    channels = parse_campus_text("campus.toml", text.encode(), None).document["channels"]
    assert [(c["meter"], c["channel"], c["protocol"]) for c in channels] == [
        (meter, "main", "mqtt_json"), (meter, "export", "modbus_tcp")]
    assert channels[0]["register_modulus"] == "4294967296" and channels[0]["reports"] == "primary"
    assert channels[1]["modbus_tcp"]["port"] == 502 and channels[1]["modbus_tcp"]["word_order"] == "big"


def test_a_file_without_channels_keeps_its_document_and_hash() -> None:
    """Files written before the section existed hash as before: no empty `channels` key appears."""
    assert "channels" not in read_campus_file(DEMO).document


def test_an_unknown_meter_a_missing_address_and_a_twice_declared_channel_are_named() -> None:
    """Each problem names its field path and line."""
    meter = _meter_id()
    text = DEMO.read_text() + CHANNELS.format(meter="nope") + CHANNELS.format(meter=meter).replace(
        'channel = "export"', 'channel = "main"').replace("[channels.modbus_tcp]", "[channels.opcua_x]")
    with pytest.raises(CampusFileInvalid) as caught:
        parse_campus_text("campus.toml", text.encode(), None)
    fields = [problem.field for problem in caught.value.problems]
    assert any(field is not None and field.startswith("channels[3]") for field in fields), fields
    text = DEMO.read_text() + CHANNELS.format(meter="nope")
    with pytest.raises(CampusFileInvalid) as caught:
        parse_campus_text("campus.toml", text.encode(), None)
    assert [(p.field, p.reason) for p in caught.value.problems] == [
        ("channels[0].meter", "unknown meter 'nope'"), ("channels[1].meter", "unknown meter 'nope'")]
    twice = DEMO.read_text() + CHANNELS.format(meter=meter).replace('channel = "export"', 'channel = "main"')
    with pytest.raises(CampusFileInvalid) as caught:
        parse_campus_text("campus.toml", twice.encode(), None)
    assert [p.field for p in caught.value.problems] == ["channels[1].channel"]


def test_adding_channels_is_a_planned_change() -> None:
    old = read_campus_file(DEMO).document
    new = parse_campus_text("c.toml", (DEMO.read_text() + CHANNELS.format(meter=_meter_id())).encode(), None)
    assert [str(change) for change in plan_changes(old, new.document).changes] == [
        "~ channels: 2 live channels declared"]


LEVEL_CHANNEL = '''
[[channels]]
meter = "BESS1-DIS"
channel = "soc"
protocol = "modbus_tcp"
unit = "kWh"
{extra}
[channels.modbus_tcp]
host = "10.0.0.9"
device_id = 1
address = 100
data_type = "uint32"
'''


def test_a_battery_state_of_charge_channel_is_a_level_that_never_wraps_nor_takes_the_ct_vt() -> None:
    """The demo battery bess1 names `soc` of its discharge meter BESS1-DIS: declared live, the channel is a level,
    so a register modulus and `reports = "secondary"` are refused by field, with the battery named; without them
    the file is accepted."""
    with_soc = DEMO.read_text().replace('discharge_meter = "BESS1-DIS"',
                                        'discharge_meter = "BESS1-DIS"\nstate_of_charge_channel = "soc"')
    wrong = with_soc + LEVEL_CHANNEL.format(extra='register_modulus = "4294967296"\nreports = "secondary"')
    with pytest.raises(CampusFileInvalid) as caught:
        parse_campus_text("campus.toml", wrong.encode(), None)
    assert [(p.field, p.reason) for p in caught.value.problems] == [
        ("channels[0].register_modulus", "channel soc is the state of charge of battery bess1: a level never wraps"),
        ("channels[0].reports",
         "channel soc is the state of charge of battery bess1: a level is never scaled by the meter's CT x VT")]
    assert all(p.line is not None for p in caught.value.problems)
    right = parse_campus_text("campus.toml", (with_soc + LEVEL_CHANNEL.format(extra="")).encode(), None)
    assert right.document["channels"][0]["channel"] == "soc"

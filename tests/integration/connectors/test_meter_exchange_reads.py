"""A meter exchange recorded in the campus file with its register reads: applied to PostgreSQL, read back as the
campus's meters, and used by the derivation of the channel's stored readings (real PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

import campus
from connectors.channels import channel_rules, declarations_from_campus
from connectors.derive import derive_window, load_channel_readings
from connectors.intervals import IntervalFlag, derive_intervals
from connectors.reading import Delivery, ReadingQuality, RegisterReading
from connectors.store import commit_batch
from tests.integration.connectors.conftest import apply_live_campus, channel_text

DAY = datetime(2026, 10, 31, tzinfo=UTC)
EXCHANGE = DAY.replace(hour=14, minute=30)
METER = "ACME-A"
DEVICES = f'''
[[meters.devices]]
serial = "OLD-7"
removed = {EXCHANGE.isoformat()}
removal_read = "200.6"

[[meters.devices]]
serial = "NEW-9"
installed = {EXCHANGE.isoformat()}
install_read = "0.25"
'''


def _delivery(serial: str, minute: int, register_wh: int) -> Delivery:
    at = DAY.replace(hour=14) + timedelta(minutes=minute)
    reading = RegisterReading(METER, "main", at, at + timedelta(milliseconds=20), register_wh, ReadingQuality.GOOD,
                              str(register_wh), device_serial=serial)
    return Delivery(f"mqtt:test/{METER}", json.dumps({"ts": at.isoformat(), "wh": register_wh}).encode(), (reading,))


def test_exchange_reads_from_the_campus_file_keep_the_swap_s_energy(engine: Engine, data_root: str) -> None:
    """20 Wh a minute on ACME-A (kWh). OLD-7 reads 200,000 Wh at 14:00 … 200,560 at 14:28 and was removed at 14:30
    showing 200.6 kWh; NEW-9 was installed showing 0.25 kWh and reads 270 Wh at 14:31 … 850 at 15:00. The swap
    step 14:28 → 14:31 is (200,600 − 200,560) + (270 − 250) = 60 Wh, split 2 : 1 at 14:30, so every quarter hour
    holds 300 Wh (1,200 in all); the two around the swap are flagged. Without the reads the step would be
    0 + 270 Wh."""
    campus_id = apply_live_campus(engine, channel_text(METER, 1883, f"plant/{METER}"),
                                  meter_extra={METER: DEVICES})
    old = [_delivery("OLD-7", minute, 200_000 + 20 * minute) for minute in range(29)]
    new = [_delivery("NEW-9", minute, 250 + 20 * (minute - 30)) for minute in range(31, 61)]
    commit_batch(engine, data_root, campus_id, old + new)

    with engine.begin() as conn:
        meter = next(m for m in campus.load_meters(conn, campus_id) if m.meter_id == METER)
        [declaration] = declarations_from_campus(campus.load_channel_declarations(conn, campus_id))
        rules = channel_rules(declaration, meter, DAY)
        assert (rules.removal_reads_wh, rules.install_reads_wh) == ({"OLD-7": 200_600}, {"NEW-9": 250})
        load = load_channel_readings(conn, campus_id, METER, "main", rules, DAY, DAY + timedelta(days=1))
    derived = derive_intervals(load.readings, rules, DAY, DAY + timedelta(days=1))
    energies = [(i.interval_start_utc.strftime("%H:%M"), i.energy_wh, bool(i.flags & IntervalFlag.RESET_SPAN))
                for i in derived.intervals]
    assert energies == [("14:00", 300, False), ("14:15", 300, True), ("14:30", 300, True), ("14:45", 300, False)]

    window = derive_window(engine, data_root, campus_id, DAY, DAY + timedelta(days=1), DAY + timedelta(days=2))
    assert (window.interval_count, window.estimated_count, window.rejected_count) == (4, 2, 0)

"""A period's file-based ISO documents without a database: market operating days from UTC period bounds
(partial edge days for a campus outside the market's zone), the meters each format carries, one LSE channel
per meter, and the outbox file set written once per key (a retry with the same bytes is a no-op, other bytes
are a Conflict, the manifest keeps the creation stamp)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from common.errors import BadInput, Conflict
from market_adapters.ercot.lse_format import LseFile
from market_adapters.model import IsoMeterRef
from market_adapters.submission.file_outbox import recorded_created_at_utc, write_files_once
from market_adapters.submission.period_files import (
    ercot_lse_files,
    lse_meters,
    operating_days,
    power_meter_accounts,
)
from tests.market_adapters.market_rows import quarter_hour_rows

CENTRAL = ZoneInfo("America/Chicago")
CREATED = datetime(2025, 12, 2, 15, tzinfo=UTC)
METERS = (IsoMeterRef("FU1", "1", "fuel"), IsoMeterRef("GT1", "2", "generation"),
          IsoMeterRef("SH1", "3", "shared_consumption"), IsoMeterRef("TI1", "4", "grid_import"))


def test_operating_days_of_aligned_and_unaligned_periods():
    """A Central month gives its 30 days; the Eastern month also touches 31 Oct and 30 Nov in Central."""
    aligned = operating_days(datetime(2025, 11, 1, 5, tzinfo=UTC), datetime(2025, 12, 1, 6, tzinfo=UTC),
                             CENTRAL)
    eastern = operating_days(datetime(2025, 11, 1, 4, tzinfo=UTC), datetime(2025, 12, 1, 5, tzinfo=UTC),
                             CENTRAL)
    assert (aligned[0], aligned[-1], len(aligned)) == (date(2025, 11, 1), date(2025, 11, 30), 30)
    assert (eastern[0], eastern[-1], len(eastern)) == (date(2025, 10, 31), date(2025, 11, 30), 31)


def test_each_format_carries_its_meters():
    """LSE: every electricity meter; Power Meter: generator and tie meters only."""
    assert [meter.meter_id for meter in lse_meters(METERS)] == ["GT1", "SH1", "TI1"]
    assert [meter.meter_id for meter in power_meter_accounts(METERS)] == ["GT1", "TI1"]


def test_a_meter_with_two_channels_is_refused(write_intervals):
    """An LSE file holds one channel per ESI ID: both of GT1's channels are named, none dropped silently."""
    start = datetime(2025, 7, 15, 5, tzinfo=UTC)
    uri = write_intervals(quarter_hour_rows("GT1", "delivered", start, 96, 10)
                          + quarter_hour_rows("GT1", "received", start, 96, 1), 15)
    with pytest.raises(BadInput) as caught:
        ercot_lse_files(uri, [METERS[1]], [date(2025, 7, 15)], "999999999", CREATED)
    assert caught.value.field == "channel" and "['delivered', 'received']" in caught.value.reason


def test_file_set_is_written_once_and_keeps_its_stamp(tmp_path):
    """Same bytes again: nothing changes; other bytes under the key: Conflict; the stamp reads back as UTC."""
    manifest_path = tmp_path / "ercot-lse-v1.json"
    files = [LseFile("999999999IntervalData20251202090000001.lse", "00000001,...\r\n")]
    assert recorded_created_at_utc(manifest_path) is None
    first = write_files_once(manifest_path, "c1:ERCOT:2025-11:v1", "ERCOT", CREATED, files)
    again = write_files_once(manifest_path, "c1:ERCOT:2025-11:v1", "ERCOT", CREATED, files)
    assert first == again and first.file_count == 1
    assert recorded_created_at_utc(manifest_path) == CREATED
    assert (tmp_path / "ercot-lse-v1" / files[0].file_name).read_bytes() == files[0].text.encode()
    with pytest.raises(Conflict):
        write_files_once(manifest_path, "c1:ERCOT:2025-11:v1", "ERCOT", CREATED,
                         [LseFile(files[0].file_name, "00000001,other\r\n")])
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ercot-lse-v1", "ercot-lse-v1.json"]

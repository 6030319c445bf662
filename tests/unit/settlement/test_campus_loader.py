"""The campus loader: record batches with different meter dictionaries aggregate into the right series and totals;
an interval that straddles its series' cells and a meter the campus does not have are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from common.errors import BadInput
from settlement.engine import MeterRef, aggregate_series, split_deemed
from settlement.errors import MeterUnknown

START = datetime(2026, 3, 1, 6, tzinfo=UTC)
END = START + timedelta(hours=1)
METERS = [MeterRef("A-5", "tenant_consumption", "a", 5), MeterRef("A-15", "tenant_consumption", "a", 15),
          MeterRef("COOL", "shared_consumption", None, 5)]
PLAN = {"A-5": "tenant:a", "A-15": "tenant:a", "COOL": "shared"}


def _batch(meter_ids: list[str], minutes_after: list[int], energy_wh: list[int]) -> pa.RecordBatch:
    return pa.record_batch({
        "meter_id": pa.array(meter_ids).dictionary_encode(),
        "interval_start_utc": pa.array([START + timedelta(minutes=m) for m in minutes_after],
                                       pa.timestamp("us", tz="UTC")),
        "energy_wh": pa.array(energy_wh, pa.int64()),
    })


def test_batches_with_their_own_dictionaries_add_into_15_minute_cells() -> None:
    """Tenant a has a 5- and a 15-minute meter, so its cells are 15 minutes: A-5 at :00, :05, :10 (1 + 2 + 3 Wh) and
    A-15 at :00 (10 Wh) fill cell 0 = 16; A-5 at :50 (4 Wh) fills cell 3. COOL (5-minute cells) 7 Wh at :55 is
    cell 11. Totals per meter: A-5 10, A-15 10, COOL 7."""
    table = pa.Table.from_batches([_batch(["A-5", "A-5", "A-15"], [0, 5, 0], [1, 2, 10]),
                                   _batch(["COOL", "A-5", "A-5"], [55, 10, 50], [7, 3, 4])])
    totals, series = aggregate_series("f", table, METERS, PLAN, {"tenant:a": 15, "shared": 5}, START, END)
    assert totals == {"A-5": 10, "A-15": 10, "COOL": 7}
    assert series["tenant:a"].energy_wh.tolist() == [16, 0, 0, 4]
    assert series["shared"].energy_wh.tolist() == [0] * 11 + [7]


def test_straddling_interval_and_unknown_meter_are_refused() -> None:
    """A 15-minute meter starting at :05 would cross two 15-minute cells -> BadInput; meter Z -> MeterUnknown."""
    with pytest.raises(BadInput) as caught:
        aggregate_series("f", pa.Table.from_batches([_batch(["A-15"], [5], [1])]), METERS, PLAN,
                         {"tenant:a": 15}, START, END)
    assert "straddles" in str(caught.value)
    with pytest.raises(MeterUnknown):
        aggregate_series("f", pa.Table.from_batches([_batch(["Z"], [0], [1])]), METERS, PLAN, {}, START, END)


def test_two_energy_channels_on_one_meter_are_refused_but_deemed_rows_split_off() -> None:
    """`deemed_curtailment` rows are set apart; a meter with two other channels would be summed silently, so the
    file is refused naming the channel field."""
    table = pa.table({"meter_id": ["PV1", "PV1", "A-5", "A-5"],
                      "channel": ["kwh_delivered", "deemed_curtailment", "kwh_delivered", "kwh_delivered"]})
    energy, deemed = split_deemed("f", table)
    assert (energy.num_rows, deemed.num_rows) == (3, 1)
    doubled = pa.table({"meter_id": ["A-5", "A-5"], "channel": ["kwh_delivered", "kwh_received"]})
    with pytest.raises(BadInput) as caught:
        split_deemed("f", doubled)
    assert caught.value.field == "channel"

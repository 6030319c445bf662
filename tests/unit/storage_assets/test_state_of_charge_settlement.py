"""The stored energy at a period's end in settlement (settlement.storage_hours, settlement.storage_pool): the state
of charge the battery reported at the period's end, read beside the validated file, instead of the estimate from
the efficiency range; the pool's losses are what it holds less that. Hand-worked on the hours of
test_storage_hours (1 000 000 Wh charged, 900 000 Wh discharged, 100 000 Wh left in the pool)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa

from meterdata.state_of_charge import STATE_OF_CHARGE_SCHEMA, state_of_charge_uri_for, write_state_of_charge
from settlement.storage_hours import reported_stored_wh_end, storage_hours, storage_period
from settlement.storage_pool import Pool, period_stored_wh_end
from tests.unit.storage_assets.test_storage_hours import ASSET, H0, H1, METERS, RATES, _pairs, _table

PERIOD_END_UTC = H1 + timedelta(hours=1)
ASSET_WITH_LEVEL = replace(ASSET, state_of_charge_channel="soc")


def _levels(validated_uri: str, stored_wh_by_hour: dict[datetime, int]) -> None:
    hours = sorted(stored_wh_by_hour)
    count = len(hours)
    write_state_of_charge(state_of_charge_uri_for(validated_uri), [pa.table({
        "asset_id": ["bess1"] * count, "meter_id": ["DIS"] * count, "channel": ["soc"] * count,
        "interval_start_utc": hours, "interval_minutes": [60] * count,
        "stored_wh": [stored_wh_by_hour[hour] for hour in hours], "source_sha256": ["f" * 64] * count,
        "source_row": list(range(2, 2 + count)),
    }, schema=STATE_OF_CHARGE_SCHEMA)])


def test_the_reported_level_at_the_period_end_replaces_the_estimate() -> None:
    """Estimate: 0 + 1 000 000 x 87.5 % (middle of 800-950) - 900 000 = -25 000, kept at the floor 0: all 100 000 Wh
    the pool holds are lost. Reported 60 000: 40 000 lost. Reported 150 000, more than the 100 000 that went in and
    did not come out: held to 100 000, nothing lost (a reading cannot create energy)."""
    assert period_stored_wh_end(ASSET, 0, 1_000_000, 900_000) == 0
    assert period_stored_wh_end(ASSET, 0, 1_000_000, 900_000, 60_000) == 60_000
    assert period_stored_wh_end(ASSET, 0, 1_000_000, 900_000, 150_000) == 100_000


def test_the_pool_loses_what_it_holds_less_the_reported_level(tmp_path: Path) -> None:
    """Levels 975 000 Wh after hour 0 and 60 000 Wh at the period's end (the reading of the interval ending there).
    The pool holds 100 000 Wh of grid at $40 ($4): 40 000 Wh are lost, 3:1 -> alpha 30 000 ($1.20), beta 10 000
    ($0.40); 60 000 Wh ($2.40) are carried into the next period."""
    validated_uri = str(tmp_path / "validated.parquet")
    _levels(validated_uri, {H0: 975_000, H1: 60_000})
    reported = reported_stored_wh_end([ASSET_WITH_LEVEL], validated_uri, PERIOD_END_UTC)
    assert reported == {"bess1": 60_000}
    assert reported_stored_wh_end([ASSET_WITH_LEVEL], validated_uri, H1) == {"bess1": 975_000}
    # An asset that declares no channel reads nothing, whatever lies beside the file.
    assert reported_stored_wh_end([ASSET], validated_uri, PERIOD_END_UTC) == {}
    stored_wh_end = period_stored_wh_end(ASSET_WITH_LEVEL, 0, 1_000_000, 900_000, reported["bess1"])
    period = storage_period(ASSET_WITH_LEVEL, storage_hours(_table(), METERS, ASSET_WITH_LEVEL), Pool("fifo"),
                            stored_wh_end, RATES)
    assert period.losses_wh == 40_000
    assert _pairs(period.losses_by_party["alpha"]) == [("grid_import", 30_000, 1_200_000)]
    assert _pairs(period.losses_by_party["beta"]) == [("grid_import", 10_000, 400_000)]
    assert _pairs(period.closing.lots) == [("grid_import", 60_000, 2_400_000)]


def test_without_a_file_beside_the_validated_one_nothing_is_reported(tmp_path: Path) -> None:
    """A validated file from before the state of charge was read has no companion: the estimate stands."""
    assert reported_stored_wh_end([ASSET_WITH_LEVEL], str(tmp_path / "old.parquet"), PERIOD_END_UTC) == {}

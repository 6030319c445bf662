"""A battery's state of charge through ingest and VEE on files (meterdata.ingest, meterdata.vee): it arrives as a
channel of the discharge meter, is kept as a level (never summed into the meter's energy), written beside the
validated file and read back at the period's end; a reading that cannot be a level is refused with file, line and
field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from campus import MeterRole, StorageAsset
from common.errors import BadInput
from meterdata import SITE_EXPORT_V1, MeterSpec, ingest_files, run_vee
from meterdata.state_of_charge import read_state_of_charge, state_of_charge_uri_for, stored_wh_at_period_end
from meterdata.storage_checks import RULE_STATE_OF_CHARGE_CHANGE

ASSET = StorageAsset(asset_id="bess1", charge_meter_id="BESS-CHG", discharge_meter_id="BESS-DIS",
                     capacity_wh_usable=4_000_000, power_kw_rated=1_000, round_trip_efficiency_permille_min=850,
                     round_trip_efficiency_permille_max=900, state_of_charge_wh_min=200_000,
                     state_of_charge_channel="soc")
METERS = {spec.meter_id: spec for spec in (
    MeterSpec("GRID", MeterRole.GRID_IMPORT, "kWh", 60),
    MeterSpec("A", MeterRole.TENANT, "kWh", 60, tenant_id="alpha"),
    MeterSpec("BESS-CHG", MeterRole.STORAGE_CHARGE, "kWh", 60, rated_kw=1_000),
    MeterSpec("BESS-DIS", MeterRole.STORAGE_DISCHARGE, "kWh", 60, rated_kw=1_000),
)}
START_UTC = datetime(2026, 9, 1, tzinfo=UTC)
END_UTC = START_UTC + timedelta(hours=4)
NOW_UTC = datetime(2026, 10, 1, tzinfo=UTC)
# Hour by hour (kWh): grid 2 000 / 2 900 / 2 000 / 1 200; tenant 1 980 always; charge 0 / 900 / 0 / 0;
# discharge 0 / 0 / 0 / 765. Levels at the hour ends: 1 000 / 1 810 / 1 810 / 1 045 kWh (900 in at 90 %, then
# 765 out).
HOURS = [
    {"GRID": "2000", "A": "1980", "BESS-CHG": "0", "BESS-DIS": "0", "soc": "1000"},
    {"GRID": "2900", "A": "1980", "BESS-CHG": "900", "BESS-DIS": "0", "soc": "1810"},
    {"GRID": "2000", "A": "1980", "BESS-CHG": "0", "BESS-DIS": "0", "soc": "1810"},
    {"GRID": "1200", "A": "1980", "BESS-CHG": "0", "BESS-DIS": "765", "soc": "1045"},
]


def _csv(hours: list[dict[str, str]]) -> str:
    lines = ["meter_id,interval_start,value,unit,channel"]
    for hour, values in enumerate(hours):
        start = (START_UTC + timedelta(hours=hour)).isoformat()
        for meter_id in ("GRID", "A", "BESS-CHG", "BESS-DIS"):
            lines.append(f"{meter_id},{start},{values[meter_id]},kWh,")
        lines.append(f"BESS-DIS,{start},{values['soc']},kWh,soc")
    return "\n".join(lines) + "\n"


def _ingest(tmp_path: Path, text: str) -> str:
    path = tmp_path / "site.csv"
    path.write_text(text)
    out = str(tmp_path / "intervals.parquet")
    ingest_files([str(path)], METERS, SITE_EXPORT_V1, out, START_UTC, END_UTC, now_utc=NOW_UTC, storage=[ASSET])
    return out


def test_state_of_charge_is_a_level_beside_the_energy_never_in_it(tmp_path: Path) -> None:
    """The discharge meter's energy is 765 000 Wh (its `main` channel), not 765 000 + the levels' 5 665 000. The
    four levels are kept with their lines (rows 6, 11, 16, 21 of the file: header, then five rows an hour) and the
    period's end reads 1 045 000 Wh. Every hour's change fits: hour 2 +810 000 within [765 000 - 50 000,
    900 000 + 50 000] (margin 1 % of 4 000 000 + 1 000, plus 1 % of 900 000), hour 4 -765 000 within
    [-765 000 / 0.85 - 48 650, -765 000 + 48 650] = [-948 650, -716 350]; 765 000 out of 900 000 in while the store
    rose by 45 000 is 765 000 / 855 000 = 89.5 %, inside 85-90 %."""
    intervals = _ingest(tmp_path, _csv(HOURS))
    ingested = pq.read_table(intervals)
    assert ingested.filter(pc.equal(ingested["channel"], "soc")).num_rows == 4
    out = str(tmp_path / "validated.parquet")
    result = run_vee(intervals, METERS, START_UTC, END_UTC, out, storage=[ASSET])
    validated = pq.read_table(out)
    assert sorted(set(validated["channel"].to_pylist())) == ["main"]
    discharge = validated.filter(pc.equal(validated["meter_id"], "BESS-DIS"))
    assert pc.sum(discharge["energy_wh"]).as_py() == 765_000
    levels = read_state_of_charge(state_of_charge_uri_for(out))
    assert levels["stored_wh"].to_pylist() == [1_000_000, 1_810_000, 1_810_000, 1_045_000]
    assert levels["source_row"].to_pylist() == [6, 11, 16, 21]
    assert stored_wh_at_period_end(out, END_UTC) == {"bess1": 1_045_000}
    assert stored_wh_at_period_end(out, END_UTC - timedelta(hours=1)) == {"bess1": 1_810_000}
    rules = result.report["rules"]
    assert isinstance(rules, dict)
    assert rules[RULE_STATE_OF_CHARGE_CHANGE] == {"BESS-DIS": 0}
    assert rules["campus_balance"] == {"campus": 0}
    assert result.report["storage_findings"] == []


def test_a_level_that_does_not_follow_the_meters_is_a_finding(tmp_path: Path) -> None:
    """Hour 3 ends at 1 100 000 instead of 1 810 000: -710 000 with nothing in or out, outside [-41 000, 41 000];
    hour 4 then rises by 55 000 while 765 000 went out, outside [-948 650, -716 350]. Two findings, each naming
    BESS-DIS, the hour and the change."""
    hours = [dict(hour) for hour in HOURS]
    hours[2]["soc"] = "1100"
    intervals = _ingest(tmp_path, _csv(hours))
    result = run_vee(intervals, METERS, START_UTC, END_UTC, str(tmp_path / "validated.parquet"), storage=[ASSET])
    findings = result.report["storage_findings"]
    assert isinstance(findings, list)
    changes = [(f["meter_id"], f["interval_start_utc"], f["value_wh"]) for f in findings
               if f["rule"] == RULE_STATE_OF_CHARGE_CHANGE]
    assert changes == [("BESS-DIS", "2026-09-01T02:00:00+00:00", -710_000),
                       ("BESS-DIS", "2026-09-01T03:00:00+00:00", -55_000)]


@pytest.mark.parametrize(("row", "field", "reason"), [
    ("BESS-DIS,2026-09-01T00:00:00+00:00,4000.001,kWh,soc", "value",
     "state of charge 4000001 Wh of battery bess1 is above its usable capacity 4000000 Wh"),
    ("BESS-DIS,2026-09-01T00:00:00+00:00,-1,kWh,soc", "value", "state of charge -1000 Wh of battery bess1 is negative"),
    ("BESS-DIS,2026-09-01T00:00:00+00:00,full,kWh,soc", "value", "not a number: 'full'"),
    ("BESS-CHG,2026-09-01T00:00:00+00:00,1000,kWh,soc", "channel",
     ("channel 'soc' is the state of charge of battery bess1, which only its discharge meter BESS-DIS reports, not "
     "meter BESS-CHG")),
])
def test_a_reading_that_cannot_be_a_level_is_refused_with_file_line_and_field(tmp_path: Path, row: str, field: str,
                                                                               reason: str) -> None:
    """The bad row is line 3 of the file, after a good energy row; nothing is written."""
    text = "meter_id,interval_start,value,unit,channel\nGRID,2026-09-01T00:00:00+00:00,2000,kWh,\n" + row + "\n"
    with pytest.raises(BadInput) as caught:
        _ingest(tmp_path, text)
    assert (caught.value.source, caught.value.line, caught.value.field, caught.value.reason) == \
        ("site.csv", 3, field, reason)
    assert not (tmp_path / "intervals.parquet").exists()


def test_files_without_the_channel_column_read_as_before(tmp_path: Path) -> None:
    """The site export's channel column is optional: a file without it is all `main`."""
    path = tmp_path / "old.csv"
    path.write_text("meter_id,interval_start,value,unit\nGRID,2026-09-01T00:00:00+00:00,2000,kWh\n")
    out = str(tmp_path / "intervals.parquet")
    ingest_files([str(path)], METERS, SITE_EXPORT_V1, out, START_UTC, END_UTC, now_utc=NOW_UTC, storage=[ASSET])
    table = pq.read_table(out)
    assert (table["channel"].to_pylist(), table["energy_wh"].to_pylist()) == (["main"], [2_000_000])


def test_a_parquet_file_carries_the_level_the_same_way(tmp_path: Path) -> None:
    """Row 2 of a Parquet file puts the channel on the charge meter: refused naming the row and `channel`; row 1,
    the discharge meter's level of 1 500 000 Wh, alone is kept as a level."""
    start = pa.array([START_UTC, START_UTC], pa.timestamp("us", tz="UTC"))
    table = pa.table({"meter_id": ["BESS-DIS", "BESS-CHG"], "channel": ["soc", "soc"], "interval_start_utc": start,
                      "energy_wh": pa.array([1_500_000, 1_500_000], pa.int64())})
    path = tmp_path / "levels.parquet"
    pq.write_table(table, path)
    out = str(tmp_path / "intervals.parquet")
    with pytest.raises(BadInput) as caught:
        ingest_files([str(path)], METERS, SITE_EXPORT_V1, out, START_UTC, END_UTC, now_utc=NOW_UTC, storage=[ASSET])
    assert (caught.value.source, caught.value.line, caught.value.field) == ("levels.parquet", 2, "channel")
    pq.write_table(table.slice(0, 1), path)
    ingest_files([str(path)], METERS, SITE_EXPORT_V1, out, START_UTC, END_UTC, now_utc=NOW_UTC, storage=[ASSET])
    kept = pq.read_table(out)
    assert (kept["channel"].to_pylist(), kept["energy_wh"].to_pylist()) == (["soc"], [1_500_000])

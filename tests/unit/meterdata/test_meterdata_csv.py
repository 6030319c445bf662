"""CSV ingest with declared mappings: the site export, real-world awkwardness, DST and every refusal.

Expected Wh values are worked out by hand in the comments, never by the code under test.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from common.errors import BadInput
from meterdata import SITE_EXPORT_V1, CsvMapping, MeterSpec, csv_reader, ingest_files

OCT_START = datetime(2026, 10, 1, 4, tzinfo=UTC)
OCT_END = datetime(2026, 11, 1, 4, tzinfo=UTC)
NOW = datetime(2026, 12, 15, tzinfo=UTC)


def _ingest(paths, meters, mapping, tmp_path: Path, start=OCT_START, end=OCT_END, now=NOW):
    out = str(tmp_path / "out" / "intervals.parquet")
    result = ingest_files(paths, meters, mapping, out, start, end, now_utc=now)
    return result, pq.read_table(out).to_pylist()


def test_site_export_reads_kwh_and_mmbtu_into_integer_wh(demo_meters, write_file, tmp_path) -> None:
    """4512.250 kWh is 4,512,250 Wh; 48.211 MMBtu x 293,071.07 Wh/MMBtu = 14,129,249.36 -> 14,129,249 Wh."""
    path = write_file(
        "site.csv",
        "meter_id,interval_start,value,unit\n"
        "GT1-GEN,2026-10-01T00:00:00-04:00,4512.250,kWh\n"
        "GT1-FUEL,2026-10-01T00:00:00-04:00,48.211,MMBtu\n",
    )
    result, rows = _ingest([path], demo_meters, SITE_EXPORT_V1, tmp_path)
    assert result.reading_count == 2
    assert result.files[0].name == "site.csv" and result.files[0].row_count == 2
    by_meter = {row["meter_id"]: row for row in rows}
    assert by_meter["GT1-GEN"]["energy_wh"] == 4_512_250
    assert by_meter["GT1-FUEL"]["energy_wh"] == 14_129_249
    assert by_meter["GT1-GEN"]["interval_start_utc"] == datetime(2026, 10, 1, 4, tzinfo=UTC)
    assert by_meter["GT1-GEN"]["source_row"] == 2 and by_meter["GT1-FUEL"]["source_row"] == 3
    assert by_meter["GT1-GEN"]["source_sha256"] == result.files[0].sha256_hex


def test_bom_quotes_thousands_separator_and_decimal_comma(demo_meters, write_file, tmp_path) -> None:
    """A European export: BOM, semicolons, quoted fields, '1.234,5' kWh = 1,234,500 Wh, local naive times."""
    mapping = CsvMapping(
        name="EU", meter_column="Zähler", time_column="Beginn", value_column="Wert", unit="kWh",
        delimiter=";", decimal_mark=",", thousands_separator=".", time_zone="America/New_York",
        time_format="%d.%m.%Y %H:%M",
    )
    content = '\ufeff"Zähler";"Beginn";"Wert"\n"T1-LOAD";"01.10.2026 00:15";"1.234,5"\n"T1-LOAD";"01.10.2026 00:30";"2,25"\n'
    _, rows = _ingest([write_file("eu.csv", content)], demo_meters, mapping, tmp_path)
    assert [row["energy_wh"] for row in rows] == [1_234_500, 2_250]
    # 00:15 EDT (UTC-4) is 04:15 UTC.
    assert rows[0]["interval_start_utc"] == datetime(2026, 10, 1, 4, 15, tzinfo=UTC)


def test_power_in_kw_with_interval_ending_labels(demo_meters, write_file, tmp_path) -> None:
    """100 kW average over 15 minutes is 25,000 Wh; a label of 00:15 ending means the interval began 00:00."""
    mapping = CsvMapping(name="kw", meter_column="m", time_column="t", value_column="kw", unit="kW",
                         time_label="ending")
    content = "m,t,kw\nSHARED,2026-10-01T04:15:00Z,100\n"
    _, rows = _ingest([write_file("kw.csv", content)], demo_meters, mapping, tmp_path)
    assert rows[0]["energy_wh"] == 25_000
    assert rows[0]["interval_start_utc"] == datetime(2026, 10, 1, 4, 0, tzinfo=UTC)


def test_fall_back_repeated_local_hour_maps_to_two_utc_hours(demo_meters, write_file, tmp_path) -> None:
    """On 2026-11-01 New York repeats 01:00-02:00: first 01:00 is 05:00 UTC (EDT), the second 06:00 UTC (EST)."""
    mapping = CsvMapping(name="local", meter_column="m", time_column="t", value_column="v", unit="kWh",
                         time_zone="America/New_York")
    content = "m,t,v\nSHARED,2026-11-01T01:00:00,1\nSHARED,2026-11-01T01:00:00,2\n"
    start, end = datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2026, 11, 2, 5, tzinfo=UTC)
    _, rows = _ingest([write_file("fb.csv", content)], demo_meters, mapping, tmp_path, start, end)
    assert [(row["interval_start_utc"].hour, row["energy_wh"]) for row in rows] == [(5, 1000), (6, 2000)]


def test_blank_value_is_a_missing_interval_not_zero(demo_meters, write_file, tmp_path) -> None:
    """A blank value line produces no reading at all (VEE will call it missing)."""
    content = "meter_id,interval_start,value,unit\nSHARED,2026-10-01T00:00:00-04:00,,kWh\nSHARED,2026-10-01T00:15:00-04:00,3,kWh\n"
    result, rows = _ingest([write_file("blank.csv", content)], demo_meters, SITE_EXPORT_V1, tmp_path)
    assert result.reading_count == 1 and rows[0]["energy_wh"] == 3000


REFUSALS = [
    ("meter_id,interval_start,value,unit\nNOPE,2026-10-01T00:00:00-04:00,1,kWh\n", 2, "meter_id", "unknown meter"),
    ("meter_id,interval_start,value,unit\nSHARED,2026-10-01T00:00:00-04:00,1,MMBtu\n", 2, "unit",
     "meter SHARED: unit 'MMBtu' does not fit a shared_consumption meter, which reports Wh, kWh, MWh, W, kW, MW"),
    ("meter_id,interval_start,value,unit\nSHARED,2026-10-01T00:00:00-04:00,1,parsecs\n", 2, "unit",
     "meter SHARED: unknown unit 'parsecs': a shared_consumption meter reports Wh, kWh, MWh, W, kW, MW"),
    ("meter_id,interval_start,value,unit\nSHARED,2026-10-01T00:00:00-04:00,1,kwh\n", 2, "unit",
     "meter SHARED: unknown unit 'kwh': units are case-sensitive, write 'kWh'"),
    ("meter_id,interval_start,value,unit\nSHARED,2026-10-01T00:00:00-04:00,1,kWh\nSHARED,2026-10-01T00:15:00-04:00,1x,kWh\n",
     3, "value", "not a number"),
    ("meter_id,interval_start,value,unit\nSHARED,2026-10-01T00:00:00,1,kWh\n", 2, "interval_start",
     ("timestamp '2026-10-01T00:00:00' has no UTC offset: write the one in force at that instant "
      "(2026-10-01T00:00:00-HH:MM or +HH:MM) or Z for UTC")),
    ("meter_id,interval_start,value,unit\nSHARED,yesterday,1,kWh\n", 2, "interval_start", "not a timestamp"),
    ("meter_id,interval_start,value,unit\nSHARED,2026-09-30T23:45:00-04:00,1,kWh\n", 2, "interval_start", "outside the period"),
    ("meter_id,interval_start,value,unit\nSHARED,2026-10-01T00:00:00-04:00,NaN,kWh\n", 2, "value", "not a number"),
    ("meter_id,interval_start,value,unit\nSHARED,2026-10-01T00:00:00-04:00\n", 2, "unit", "no 'unit'"),
    ("meter_id,start,value,unit\n", 1, "interval_start", "column missing"),
    ("", 1, None, "empty file"),
]


@pytest.mark.parametrize(("content", "line", "field", "reason"), REFUSALS)
def test_bad_rows_are_refused_naming_file_line_and_field(demo_meters, write_file, tmp_path, content, line, field, reason) -> None:
    """Each malformed input raises BadInput with the file name, the 1-based line and the column."""
    path = write_file("bad.csv", content)
    with pytest.raises(BadInput) as caught:
        _ingest([path], demo_meters, SITE_EXPORT_V1, tmp_path)
    assert (caught.value.source, caught.value.line, caught.value.field) == ("bad.csv", line, field)
    assert reason in caught.value.reason
    assert not (tmp_path / "out" / "intervals.parquet").exists()


def test_future_interval_is_refused(demo_meters, write_file, tmp_path) -> None:
    """An interval that has not ended by `now` cannot have been measured."""
    path = write_file("f.csv", "meter_id,interval_start,value,unit\nSHARED,2026-10-10T00:00:00-04:00,1,kWh\n")
    with pytest.raises(BadInput, match="has not ended yet"):
        _ingest([path], demo_meters, SITE_EXPORT_V1, tmp_path, now=datetime(2026, 10, 10, 4, 10, tzinfo=UTC))


def test_spring_forward_gap_time_is_refused(write_file, tmp_path) -> None:
    """02:30 on 2026-03-08 never happened in New York; a naive reading stamped so is refused."""
    meters = {"SHARED": MeterSpec("SHARED", "shared_consumption", "kWh", 15)}
    mapping = CsvMapping(name="local", meter_column="m", time_column="t", value_column="v", unit="kWh",
                         time_zone="America/New_York")
    path = write_file("gap.csv", "m,t,v\nSHARED,2026-03-08T01:45:00,1\nSHARED,2026-03-08T02:30:00,1\n")
    start, end = datetime(2026, 3, 8, 5, tzinfo=UTC), datetime(2026, 3, 9, 4, tzinfo=UTC)
    with pytest.raises(BadInput) as caught:
        _ingest([path], meters, mapping, tmp_path, start, end)
    assert (caught.value.line, caught.value.field) == (3, "t") and "does not exist" in caught.value.reason


def test_parquet_with_wrong_interval_length_is_refused(demo_meters, tmp_path) -> None:
    """A Parquet file declaring 5-minute intervals for a 15-minute meter is an interval mismatch."""
    import pyarrow as pa

    table = pa.table({
        "meter_id": ["SHARED", "SHARED"],
        "interval_start_utc": pa.array([datetime(2026, 10, 1, 4, tzinfo=UTC), datetime(2026, 10, 1, 4, 5, tzinfo=UTC)],
                                       pa.timestamp("us", tz="UTC")),
        "interval_minutes": pa.array([15, 5], pa.int16()),
        "energy_wh": pa.array([10, 20], pa.int64()),
    })
    path = tmp_path / "in.parquet"
    pq.write_table(table, path)
    with pytest.raises(BadInput) as caught:
        _ingest([str(path)], demo_meters, SITE_EXPORT_V1, tmp_path)
    assert (caught.value.source, caught.value.line, caught.value.field) == ("in.parquet", 2, "interval_minutes")


def test_parquet_input_is_normalized_with_its_own_hash_and_rows(demo_meters, tmp_path) -> None:
    """Valid Parquet rows come out in INTERVAL_SCHEMA, pointing at the received file and 1-based row."""
    import pyarrow as pa

    table = pa.table({
        "meter_id": ["SHARED"],
        "interval_start_utc": pa.array([datetime(2026, 10, 1, 4, tzinfo=UTC)], pa.timestamp("us", tz="UTC")),
        "energy_wh": pa.array([123], pa.int64()),
    })
    path = tmp_path / "ok.parquet"
    pq.write_table(table, path)
    result, rows = _ingest([str(path)], demo_meters, SITE_EXPORT_V1, tmp_path)
    assert rows == [{
        "meter_id": "SHARED", "channel": "main", "interval_start_utc": datetime(2026, 10, 1, 4, tzinfo=UTC),
        "interval_minutes": 15, "energy_wh": 123, "quality": 0, "source_sha256": result.files[0].sha256_hex,
        "source_row": 1,
    }]


def test_declared_interval_column_must_match_the_registry(demo_meters, write_file, tmp_path) -> None:
    """A row saying 5 minutes for a meter registered at 15 is an interval mismatch on that row and column."""
    mapping = CsvMapping(name="iv", meter_column="m", time_column="t", value_column="v", unit="kWh",
                         interval_minutes_column="minutes")
    path = write_file("iv.csv", "m,t,v,minutes\nSHARED,2026-10-01T04:00:00Z,1,15\nSHARED,2026-10-01T04:15:00Z,1,5\n")
    with pytest.raises(BadInput) as caught:
        _ingest([path], demo_meters, mapping, tmp_path)
    assert (caught.value.line, caught.value.field) == (3, "minutes")


def test_a_file_over_the_row_limit_is_refused_at_its_line(demo_meters, write_file, tmp_path, monkeypatch) -> None:
    """The limit set to 3 rows: the fourth data row (line 5) is refused as bad input, and nothing is written."""
    monkeypatch.setattr(csv_reader, "ROWS_PER_FILE_MAX", 3)
    rows = "".join(f"SHARED,2026-10-01T00:{minute:02d}:00-04:00,1,kWh\n" for minute in (0, 15, 30, 45))
    path = write_file("long.csv", "meter_id,interval_start,value,unit\n" + rows)
    with pytest.raises(BadInput) as caught:
        _ingest([path], demo_meters, SITE_EXPORT_V1, tmp_path)
    assert (caught.value.source, caught.value.line) == ("long.csv", 5)
    assert "more than 3 rows" in caught.value.reason
    assert not (tmp_path / "out" / "intervals.parquet").exists()

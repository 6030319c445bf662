"""Ingest from the meter-data store: files spanning several periods, later corrections, bounded memory.

Proves, without a database: readings outside the period are skipped (and counted) when reading from the store
but refused otherwise, while a reading that has not ended is refused either way; when files overlap, the last
input's readings win with their own provenance and a duplicate inside one file still reaches VEE; many small
buckets give exactly the output of one; stored bytes that no longer match their hash are refused; a file's
reading span is what the counter notes. Expected values are written out by hand.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from common.errors import BadInput
from meterdata import SITE_EXPORT_V1, CsvMapping, MeterSpec
from meterdata.ingest import (
    SPILL_SCHEMA,
    InputFile,
    InputFileRefused,
    ingest_files,
    latest_readings,
    meter_buckets,
    spill_table,
)
from meterdata.readings import ReadingColumns, ReadingCounter
from meterdata.schema import INTERVAL_SCHEMA

OCT_START = datetime(2026, 10, 1, 4, tzinfo=UTC)  # 2026-10-01 00:00 in New York (EDT)
OCT_END = datetime(2026, 11, 1, 4, tzinfo=UTC)
NOW = datetime(2026, 12, 15, tzinfo=UTC)
HEADER = "meter_id,interval_start,value,unit\n"


def _ingest(inputs, meters, tmp_path, **options):
    out = str(tmp_path / "out" / "intervals.parquet")
    result = ingest_files(inputs, meters, SITE_EXPORT_V1, out, OCT_START, OCT_END, now_utc=NOW, **options)
    return result, pq.read_table(out).to_pylist()


def test_store_file_spanning_two_months_gives_only_the_periods_readings(demo_meters, write_file, tmp_path) -> None:
    """Sep 30 23:45 local is before the period and Nov 1 00:00 local is after it: both skipped, counted."""
    path = write_file("span.csv", HEADER
                      + "SHARED,2026-09-30T23:45:00-04:00,1.000,kWh\n"
                      + "SHARED,2026-10-01T00:00:00-04:00,2.000,kWh\n"
                      + "SHARED,2026-10-31T23:45:00-04:00,3.000,kWh\n"
                      + "SHARED,2026-11-01T00:00:00-04:00,4.000,kWh\n")
    result, rows = _ingest([path], demo_meters, tmp_path, outside_period="skip")
    assert [row["energy_wh"] for row in rows] == [2_000, 3_000]
    assert [row["source_row"] for row in rows] == [3, 4]
    assert (result.reading_count, result.reading_count_skipped, result.files[0].row_count) == (2, 2, 4)


def test_reading_outside_the_period_is_still_refused_outside_the_store(demo_meters, write_file, tmp_path) -> None:
    path = write_file("sep.csv", HEADER + "SHARED,2026-09-30T23:45:00-04:00,1.000,kWh\n")
    with pytest.raises(BadInput) as caught:
        _ingest([path], demo_meters, tmp_path)
    assert (caught.value.source, caught.value.line, caught.value.field) == ("sep.csv", 2, "interval_start")
    assert "outside the period" in caught.value.reason


def test_reading_that_has_not_ended_is_refused_even_when_skipping(demo_meters, write_file, tmp_path) -> None:
    """Dec 15 00:00 UTC is after the period (skippable) but also still running at NOW: refused, not skipped."""
    path = write_file("future.csv", HEADER + "SHARED,2026-12-15T00:00:00+00:00,1.000,kWh\n")
    with pytest.raises(InputFileRefused) as caught:
        _ingest([path], demo_meters, tmp_path, outside_period="skip")
    assert caught.value.reason.endswith("has not ended yet")
    assert caught.value.sha256_hex == hashlib.sha256((tmp_path / "future.csv").read_bytes()).hexdigest()


def test_later_file_wins_with_its_own_provenance_and_in_file_duplicates_reach_vee(
    demo_meters, write_file, tmp_path,
) -> None:
    """first.csv has 00:00 and 00:15; second.csv corrects 00:15 (5 kWh) and repeats 00:30 twice. Output: 00:00
    from first (1 kWh), 00:15 from second line 2 (5 kWh), 00:30 twice from second (lines 3 and 4)."""
    first = write_file("first.csv", HEADER
                       + "SHARED,2026-10-01T00:00:00-04:00,1.000,kWh\n"
                       + "SHARED,2026-10-01T00:15:00-04:00,2.000,kWh\n")
    second = write_file("second.csv", HEADER
                        + "SHARED,2026-10-01T00:15:00-04:00,5.000,kWh\n"
                        + "SHARED,2026-10-01T00:30:00-04:00,6.000,kWh\n"
                        + "SHARED,2026-10-01T00:30:00-04:00,7.000,kWh\n")
    result, rows = _ingest([first, second], demo_meters, tmp_path, outside_period="skip")
    sha_first, sha_second = (result.files[0].sha256_hex, result.files[1].sha256_hex)
    got = [(row["interval_start_utc"].astimezone(UTC).strftime("%H:%M"), row["energy_wh"], row["source_sha256"],
            row["source_row"]) for row in rows]
    assert got == [("04:00", 1_000, sha_first, 2), ("04:15", 5_000, sha_second, 2),
                   ("04:30", 6_000, sha_second, 3), ("04:30", 7_000, sha_second, 4)]
    assert (result.reading_count, result.reading_count_superseded) == (4, 1)


def test_precedence_is_input_order_not_file_name(demo_meters, write_file, tmp_path) -> None:
    a = write_file("a.csv", HEADER + "SHARED,2026-10-01T00:00:00-04:00,1.000,kWh\n")
    b = write_file("b.csv", HEADER + "SHARED,2026-10-01T00:00:00-04:00,9.000,kWh\n")
    _, rows = _ingest([b, a], demo_meters, tmp_path)
    assert [row["energy_wh"] for row in rows] == [1_000]


def test_many_small_buckets_write_exactly_what_one_bucket_writes(demo_meters, write_file, tmp_path) -> None:
    """Five meters, a day of quarter-hours each, two overlapping files; one bucket per meter or all in one."""
    lines_first, lines_second = [HEADER], [HEADER]
    units = {"GT1-FUEL": "MMBtu"}
    for meter_id in sorted(demo_meters):
        for quarter in range(96):
            stamp = (OCT_START + timedelta(minutes=15 * quarter)).isoformat()
            lines_first.append(f"{meter_id},{stamp},{quarter + 1}.000,{units.get(meter_id, 'kWh')}\n")
            if quarter % 7 == 0:
                lines_second.append(f"{meter_id},{stamp},{quarter + 500}.000,{units.get(meter_id, 'kWh')}\n")
    paths = [write_file("day.csv", "".join(lines_first)), write_file("fix.csv", "".join(lines_second))]
    one = ingest_files(paths, demo_meters, SITE_EXPORT_V1, str(tmp_path / "one.parquet"), OCT_START, OCT_END,
                       now_utc=NOW, outside_period="skip")
    many = ingest_files(paths, demo_meters, SITE_EXPORT_V1, str(tmp_path / "many.parquet"), OCT_START, OCT_END,
                        now_utc=NOW, outside_period="skip", rows_per_bucket_max=100)
    assert len(set(meter_buckets(demo_meters, OCT_START, OCT_END, 100).values())) == len(demo_meters)
    one_table, many_table = pq.read_table(one.intervals_uri), pq.read_table(many.intervals_uri)
    assert many_table.equals(one_table)
    assert one_table.schema == INTERVAL_SCHEMA and one.reading_count == 5 * 96
    assert one.reading_count_superseded == 5 * 14  # quarters 0, 7, ..., 91 of each meter


def test_meter_buckets_are_contiguous_runs_of_meter_ids(demo_meters) -> None:
    buckets = meter_buckets(demo_meters, OCT_START, OCT_END, 3_000)
    ordered = [buckets[meter_id] for meter_id in sorted(demo_meters)]
    assert ordered == sorted(ordered) and ordered[0] == 0
    assert set(meter_buckets(demo_meters, OCT_START, OCT_END, 10**12).values()) == {0}


def test_stored_file_is_read_under_its_received_name_and_checked_against_its_hash(
    demo_meters, write_file, tmp_path,
) -> None:
    """A raw-store file has no suffix: the received name picks the format; changed bytes are refused."""
    content = HEADER + "SHARED,2026-10-01T00:00:00-04:00,1.500,kWh\n"
    stored = write_file("0123abcd", content)
    sha256_hex = hashlib.sha256(content.encode()).hexdigest()
    result, rows = _ingest([InputFile(stored, "site.csv", sha256_hex)], demo_meters, tmp_path)
    assert [(row["energy_wh"], row["source_sha256"]) for row in rows] == [(1_500, sha256_hex)]
    assert result.files[0].name == "site.csv" and result.files[0].size_bytes == len(content)
    with pytest.raises(InputFileRefused) as caught:
        _ingest([InputFile(stored, "site.csv", "0" * 64)], demo_meters, tmp_path)
    assert caught.value.source == "site.csv" and "was stored as" in caught.value.reason


def test_no_reading_in_the_period_writes_an_empty_file_with_the_schema(demo_meters, write_file, tmp_path) -> None:
    path = write_file("sep.csv", HEADER + "SHARED,2026-09-30T23:45:00-04:00,1.000,kWh\n")
    result, rows = _ingest([path], demo_meters, tmp_path, outside_period="skip")
    assert rows == [] and result.reading_count_skipped == 1
    assert pq.read_schema(result.intervals_uri).equals(INTERVAL_SCHEMA)


def test_latest_readings_keeps_the_last_input_per_interval_with_its_hash() -> None:
    """Inputs 0, 2, 1 each read 00:00 and input 0 also 00:15: 00:00 comes from input 2, 00:15 from input 0."""
    shas = ["a" * 64, "b" * 64, "c" * 64]
    spilled = []
    for order, energy_wh in ((0, 10), (2, 30), (1, 20)):
        columns = ReadingColumns()
        columns.append("M", "main", OCT_START, 15, energy_wh, 0, shas[order], 2)
        if order == 0:
            columns.append("M", "main", OCT_START + timedelta(minutes=15), 15, 40, 0, shas[order], 3)
        spilled.append(spill_table(columns, order))
    table = pa.concat_tables(spilled)
    assert table.schema == SPILL_SCHEMA
    latest = latest_readings(table, shas)
    assert latest.schema == INTERVAL_SCHEMA
    assert [(r["energy_wh"], r["source_sha256"], r["source_row"]) for r in latest.to_pylist()] == [
        (30, "c" * 64, 2), (40, "a" * 64, 3)]
    assert latest_readings(table.slice(0, 0), shas).schema == INTERVAL_SCHEMA


def test_reading_counter_notes_the_span_of_interval_starts() -> None:
    counter = ReadingCounter()
    for minutes in (30, 0, 45):
        counter.append("M", "main", OCT_START + timedelta(minutes=minutes), 15, 1, 0, "s" * 64, 2)
    assert (counter.count, counter.first_interval_start_utc, counter.last_interval_start_utc) == (
        3, OCT_START, OCT_START + timedelta(minutes=45))


def test_empty_registry_and_one_meter_plan_one_bucket() -> None:
    assert meter_buckets({}, OCT_START, OCT_END, 1) == {}
    one = {"M": MeterSpec("M", "shared_consumption", "kWh", 5)}
    assert meter_buckets(one, OCT_START, OCT_END, 1) == {"M": 0}


def test_each_stored_file_is_read_with_its_own_layout(demo_meters, write_file, tmp_path) -> None:
    """Two stored files in one ingest: the site export, and a `;`/decimal-comma export of local interval-ending
    times. Each is read with the mapping it carries, whatever `ingest_files` is given for plain paths: 00:15 local
    (EDT, -04:00) ending is the interval starting 04:00 UTC; 1.234,5 kWh is 1,234,500 Wh."""
    site = HEADER + "SHARED,2026-10-01T00:00:00-04:00,1.500,kWh\n"
    scada = "Zähler;Zeit;kWh\nGRID-IMP;01.10.2026 00:15;1.234,5\nGRID-IMP;01.10.2026 00:30;0,25\n"
    local_ending = CsvMapping(name="scada", meter_column="Zähler", time_column="Zeit", value_column="kWh",
                              unit="kWh", time_label="ending", time_zone="America/New_York",
                              time_format="%d.%m.%Y %H:%M", delimiter=";", decimal_mark=",", thousands_separator=".")
    inputs = [InputFile(write_file("a", site), "site.csv", hashlib.sha256(site.encode()).hexdigest()),
              InputFile(write_file("b", scada), "scada.csv", hashlib.sha256(scada.encode()).hexdigest(),
                        local_ending)]
    _, rows = _ingest(inputs, demo_meters, tmp_path)
    assert [(row["meter_id"], row["interval_start_utc"], row["energy_wh"]) for row in rows] == [
        ("GRID-IMP", OCT_START, 1_234_500), ("GRID-IMP", OCT_START + timedelta(minutes=15), 250),
        ("SHARED", OCT_START, 1_500)]

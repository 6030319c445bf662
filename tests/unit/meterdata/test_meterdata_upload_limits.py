"""Upload limits and streamed parsing, pure: the line guard, the writer's refusals, what an error shows, and the
ESPI reader's memory staying flat as the file grows."""

from __future__ import annotations

import hashlib
import random
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from common.errors import BadInput
from meterdata.greenbutton import read_greenbutton
from meterdata.raw_store import LineGuard, RawFileWriter, UploadLimits, UploadTooLarge
from meterdata.readings import ReadingCounter, ReadingWindow, shown, shown_names
from meterdata.specs import MeterSpec


def _longest_run(data: bytes, breaks: bytes) -> int:
    longest = run = 0
    for byte in data:
        run = 0 if byte in breaks else run + 1
        longest = max(longest, run)
    return longest


def test_line_guard_matches_a_plain_scan_whatever_the_chunking() -> None:
    """Random texts cut into random chunks: the guard refuses exactly when a plain scan finds a run over the
    limit, and names the line holding it."""
    rng = random.Random(7)
    for _ in range(300):
        data = bytes(rng.choice(b"ab\n\r") if rng.random() < 0.9 else ord("\n") for _ in range(rng.randint(0, 400)))
        data = b"".join(b"x" * rng.randint(0, 40) + bytes([byte]) for byte in data[:60])
        limit = rng.randint(1, 60)
        guard = LineGuard("f.csv", (ord("\n"), ord("\r")), limit, "a line")
        refused: UploadTooLarge | None = None
        position = 0
        try:
            while position < len(data):
                size = rng.randint(1, 50)
                guard.feed(data[position:position + size])
                position += size
        except UploadTooLarge as error:
            refused = error
        assert (refused is not None) == (_longest_run(data, b"\n\r") > limit)
        if refused is not None:
            assert refused.line is not None and refused.line >= 1


def test_line_guard_names_the_line_of_a_header_bomb() -> None:
    guard = LineGuard("f.csv", (ord("\n"),), 1024, "a line")
    guard.feed(b"meter_id,interval_start\nA,1\n")
    with pytest.raises(UploadTooLarge) as refused:
        guard.feed(b"B" * 2000)
    assert refused.value.line == 3 and "B" * 100 not in str(refused.value)


def test_writer_refuses_beyond_the_format_limit_and_keeps_nothing(tmp_path: Path) -> None:
    limits = UploadLimits(csv_bytes_max=1000, xml_bytes_max=100, parquet_bytes_max=10, line_bytes_max=1024)
    for name, size in (("a.csv", 1001), ("a.xml", 101), ("a.parquet", 11)):
        writer = RawFileWriter(str(tmp_path), name, limits)
        with pytest.raises(UploadTooLarge):
            writer.write(b"\n" * size)
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []
    with pytest.raises(BadInput, match="unknown file type"):
        RawFileWriter(str(tmp_path), "a.exe", limits)


def test_errors_show_a_cut_value_never_megabytes() -> None:
    assert shown("abc") == "'abc'"
    long = shown("x" * 5_000_000)
    assert len(long) < 80 and "5000000 characters" in long
    assert len(shown_names(["y" * 1000] * 10_000)) < 1000


GEN = MeterSpec("GT1-GEN", "generation", "kWh", 15)
WINDOW = ReadingWindow(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC),
                       datetime(2026, 12, 1, tzinfo=UTC), "skip")


def _espi(readings: int) -> bytes:
    espi = 'xmlns="http://naesb.org/espi"'
    parts = ['<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n',
             f'<entry><link rel="self" href="/u/UsagePoint/GT1-GEN"/><content><UsagePoint {espi}/></content></entry>\n',
             (f'<entry><link rel="self" href="/u/UsagePoint/GT1-GEN/MeterReading/1"/><content><MeterReading {espi}>'
              '<ReadingType><uom>72</uom><intervalLength>900</intervalLength></ReadingType></MeterReading></content>'
              '</entry>\n'),
             (f'<entry><link rel="self" href="/u/UsagePoint/GT1-GEN/MeterReading/1/IntervalBlock/1"/><content>'
              f'<IntervalBlock {espi}><interval><start>1500000000</start><duration>900</duration></interval>\n')]
    parts += [f"<IntervalReading><value>{slot % 977}</value></IntervalReading>\n" for slot in range(readings)]
    parts.append("</IntervalBlock></content></entry></feed>\n")
    return "".join(parts).encode()


def _peak_bytes(data: bytes, path: Path) -> tuple[int, int]:
    path.write_bytes(data)
    counter = ReadingCounter()
    tracemalloc.start()
    try:
        read_greenbutton(lambda: path.open("rb"), path.name, hashlib.sha256(data).hexdigest(), {"GT1-GEN": GEN},
                         WINDOW, counter)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return counter.count, peak


def test_espi_reader_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    """The same feed with 45,000 and 135,000 readings (2.5 and 7.4 MB, both beyond twice the 1 MiB read chunk): the
    reader's peak of Python allocations is the same give or take 512 KiB, and less than the larger file."""
    small_count, small_peak = _peak_bytes(_espi(45_000), tmp_path / "small.xml")
    large = _espi(135_000)
    large_count, large_peak = _peak_bytes(large, tmp_path / "large.xml")
    assert (small_count, large_count) == (45_000, 135_000)
    assert large_peak < small_peak + (1 << 19), (small_peak, large_peak)
    assert large_peak < len(large), (large_peak, len(large))  # the element tree of before took ~12 times the file


def test_a_parquet_decompression_bomb_is_refused_before_decoding() -> None:
    """A 3 KB Parquet file whose meter id, 100,000 characters long, repeats on 200,000 rows (20 GB decoded) is
    refused naming the column, without turning one row into Python values."""
    import io

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from meterdata.parquet_reader import read_parquet

    rows = 200_000
    meter = pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, dtype=np.int32)), pa.array(["G" * 100_000]))
    start_us = pa.array(np.full(rows, 1_735_689_600_000_000), pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    table = pa.table({"meter_id": meter, "interval_start_utc": start_us, "energy_wh": np.ones(rows, dtype=np.int64)})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    assert len(buffer.getvalue()) < 100_000
    counter = ReadingCounter()
    with pytest.raises(BadInput) as refused:
        read_parquet(buffer.getvalue(), "bomb.parquet", "0" * 64, {"GT1-GEN": GEN}, WINDOW, counter)
    assert refused.value.field == "meter_id" and counter.count == 0


def _read_espi(data: bytes) -> int:
    counter = ReadingCounter()
    read_greenbutton(data, "feed.xml", hashlib.sha256(data).hexdigest(), {"GT1-GEN": GEN}, WINDOW, counter)
    return counter.count


def test_streamed_espi_reads_blocks_listed_before_their_meter_reading() -> None:
    """ESPI ties resources by links: an IntervalBlock entry before its UsagePoint and MeterReading entries is
    read all the same (the first pass collects the links, the second the readings)."""
    feed = _espi(3).decode()
    head, block = feed.split("<entry><link rel=\"self\" href=\"/u/UsagePoint/GT1-GEN/MeterReading/1/IntervalBlock/1\"")
    opening, resources = head.split("\n", 2)[:2], head.split("\n", 2)[2]
    reordered = "\n".join(opening) + "\n" + '<entry><link rel="self" href="/u/UsagePoint/GT1-GEN/MeterReading/1/' \
        "IntervalBlock/1\"" + block.replace("</feed>\n", "") + resources + "</feed>\n"
    assert _read_espi(reordered.encode()) == 3 == _read_espi(feed.encode())


def test_streamed_espi_refuses_an_overlong_text_naming_its_line() -> None:
    data = _espi(2).replace(b"<value>0</value>", b"<value>" + b"1" * 70_000 + b"</value>")
    with pytest.raises(BadInput) as refused:
        _read_espi(data)
    assert refused.value.line == 6 and "exceeds" in refused.value.reason and "1111" not in str(refused.value)

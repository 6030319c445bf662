"""Green Button ESPI ingest on the real published sample, plus multiplier, unit and interval handling.

Expected values come straight from the sample's XML text (regular expressions over the file), not from
the reader under test.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest

from common.errors import BadInput
from meterdata import SITE_EXPORT_V1, MeterSpec, ingest_files
from meterdata.schema import QUALITY_EDITED, QUALITY_ESTIMATED, QUALITY_MEASURED

SAMPLE = "iso_samples/greenbutton_espi_15min_sample.xml"
START = datetime(2012, 3, 1, tzinfo=UTC)
END = datetime(2012, 4, 1, tzinfo=UTC)
METERS = {"5446AF3F": MeterSpec("5446AF3F", "shared_consumption", "Wh", 15)}


def _read(path: str, tmp_path, meters=METERS):
    out = str(tmp_path / "gb.parquet")
    result = ingest_files([path], meters, SITE_EXPORT_V1, out, START, END, now_utc=datetime(2026, 1, 1, tzinfo=UTC))
    return result, pq.read_table(out).to_pylist()


def _expected_readings(text: str) -> list[tuple[int, int, int]]:
    """(start epoch s, value Wh, line of <IntervalReading>) for every reading, by regex over the text."""
    found = []
    for match in re.finditer(r"<IntervalReading>(.*?)</IntervalReading>", text, re.DOTALL):
        body = match.group(1)
        start = int(re.search(r"<timePeriod>.*?<start>(\d+)</start>", body, re.DOTALL).group(1))
        value = int(re.search(r"<value>(-?\d+)</value>", body).group(1))
        line = text.count("\n", 0, match.start()) + 1
        found.append((start, value, line))
    return found


def test_real_sample_gives_96_quarter_hours_with_values_times_and_lines(shared_dir, tmp_path) -> None:
    """Every IntervalReading of the real feed becomes one row: UTC start, Wh value, its line in the file."""
    path = shared_dir / SAMPLE
    expected = _expected_readings(path.read_text())
    assert len(expected) == 96
    result, rows = _read(str(path), tmp_path)
    assert result.reading_count == 96
    got = [(int(row["interval_start_utc"].timestamp()), row["energy_wh"], row["source_row"]) for row in rows]
    assert got == expected
    assert rows[0]["interval_start_utc"] == datetime(2012, 3, 1, 5, tzinfo=UTC)
    assert {row["interval_minutes"] for row in rows} == {15}


def test_real_sample_reading_quality_codes_map_to_flags(shared_dir, tmp_path) -> None:
    """ESPI quality 8 (estimated) and 7 (manually edited) keep their meaning; no code means measured."""
    _, rows = _read(str(shared_dir / SAMPLE), tmp_path)
    assert [row["quality"] for row in rows[:3]] == [QUALITY_ESTIMATED, QUALITY_EDITED, QUALITY_MEASURED]


def test_power_of_ten_multiplier_scales_values(shared_dir, tmp_path) -> None:
    """powerOfTenMultiplier 3 (kilo) turns the first value 282 into 282,000 Wh; -1 turns it into 28 (28.2)."""
    text = (shared_dir / SAMPLE).read_text()
    for multiplier, first_wh in ((3, 282_000), (-1, 28)):
        patched = text.replace("<powerOfTenMultiplier>0</powerOfTenMultiplier>",
                               f"<powerOfTenMultiplier>{multiplier}</powerOfTenMultiplier>", 1)
        path = tmp_path / f"m{multiplier}.xml"
        path.write_text(patched)
        _, rows = _read(str(path), tmp_path)
        assert rows[0]["energy_wh"] == first_wh


def test_interval_length_mismatch_with_registry_is_refused(shared_dir, tmp_path) -> None:
    """The feed says 900 s; a meter registered at 5 minutes makes it an interval mismatch naming the field."""
    meters = {"5446AF3F": MeterSpec("5446AF3F", "shared_consumption", "Wh", 5)}
    with pytest.raises(BadInput) as caught:
        _read(str(shared_dir / SAMPLE), tmp_path, meters)
    assert caught.value.source.endswith(".xml") and caught.value.field == "intervalLength"
    assert caught.value.line is not None


def test_unregistered_usage_point_and_unknown_unit_are_refused(shared_dir, tmp_path) -> None:
    """A usage point no meter matches, and a unit code other than Wh or W, are refused with the field."""
    with pytest.raises(BadInput) as caught:
        _read(str(shared_dir / SAMPLE), tmp_path, {"OTHER": MeterSpec("OTHER", "shared_consumption", "Wh", 15)})
    assert caught.value.field == "UsagePoint"
    path = tmp_path / "varh.xml"
    path.write_text((shared_dir / SAMPLE).read_text().replace("<uom>72</uom>", "<uom>73</uom>", 1))
    with pytest.raises(BadInput) as caught:
        _read(str(path), tmp_path)
    assert caught.value.field == "uom"


def test_truncated_xml_is_refused_with_its_line(shared_dir, tmp_path) -> None:
    """A feed cut off mid-file is not well-formed; the error names the file and a line."""
    path = tmp_path / "cut.xml"
    path.write_text((shared_dir / SAMPLE).read_text()[:20_000])
    with pytest.raises(BadInput) as caught:
        _read(str(path), tmp_path)
    assert caught.value.source == "cut.xml" and "well-formed" in caught.value.reason


def test_power_unit_w_becomes_energy_over_the_interval(shared_dir, tmp_path) -> None:
    """uom 38 (W): the first value, 282 W average over 900 s, is 70.5 Wh, rounded half-even to 70 Wh;
    the second, 323 W, is 80.75 Wh -> 81 Wh."""
    path = tmp_path / "watts.xml"
    path.write_text((shared_dir / SAMPLE).read_text().replace("<uom>72</uom>", "<uom>38</uom>", 1))
    _, rows = _read(str(path), tmp_path)
    assert [row["energy_wh"] for row in rows[:2]] == [70, 81]

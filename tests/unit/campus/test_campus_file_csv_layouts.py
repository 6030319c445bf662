"""The campus file's CSV layouts: read into the document, every bad field named by its line, applied layouts kept
as they are, and each one the CSV mapping it declares (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from campus.errors import CampusFileInvalid
from campus.file import parse_campus_text, read_campus_file
from campus.file_csv_layouts import BUILT_IN_LAYOUTS
from campus.plan import plan_changes
from meterdata import MAPPINGS, CsvMapping
from meterdata.csv_mapping import campus_mappings, mapping_from_layout

DEMO = Path(__file__).resolve().parents[3] / "demo" / "campus.toml"

SCADA = '''
[[csv_layouts]]
name = "scada-15min-ending"
meter_column = "Zähler"
time_column = "Zeitstempel"
value_column = "Wirkarbeit"
unit = "kWh"
time_label = "ending"
time_zone = "Europe/Berlin"
time_format = "%d.%m.%Y %H:%M"
delimiter = ";"
decimal_mark = ","
thousands_separator = "."
encoding = "cp1252"

[[csv_layouts]]
name = "bms-power"
meter_column = "point"
time_column = "ts"
value_column = "avg"
unit_column = "uom"
channel_column = "register"
interval_minutes_column = "minutes"
'''


def _parse(extra: str) -> dict:
    return parse_campus_text("campus.toml", (DEMO.read_text() + extra).encode(), None).document


def _problems(extra: str) -> list[tuple[str | None, str, str]]:
    """(field, the line's text, reason) of each problem."""
    text = DEMO.read_text() + extra
    with pytest.raises(CampusFileInvalid) as caught:
        parse_campus_text("campus.toml", text.encode(), None)
    lines = text.splitlines()
    return [(p.field, lines[p.line - 1].strip() if p.line else "", p.reason) for p in caught.value.problems]


def test_layouts_are_read_with_their_defaults_and_a_file_without_them_hashes_as_before() -> None:
    """Two layouts: the defaults (beginning, comma, point, utf-8-sig) filled in; the demo file has no key."""
    layouts = _parse(SCADA)["csv_layouts"]
    assert [layout["name"] for layout in layouts] == ["scada-15min-ending", "bms-power"]
    assert (layouts[1]["time_label"], layouts[1]["delimiter"], layouts[1]["decimal_mark"], layouts[1]["encoding"]) \
        == ("beginning", ",", ".", "utf-8-sig")
    assert "csv_layouts" not in read_campus_file(DEMO).document


def test_the_mapping_built_from_a_layout_is_the_one_it_declares() -> None:
    """The stored section becomes exactly this CsvMapping; the built-in layouts stay beside the declared ones."""
    layouts = _parse(SCADA)["csv_layouts"]
    assert mapping_from_layout(layouts[0]) == CsvMapping(
        name="scada-15min-ending", meter_column="Zähler", time_column="Zeitstempel", value_column="Wirkarbeit",
        unit="kWh", time_label="ending", time_zone="Europe/Berlin", time_format="%d.%m.%Y %H:%M", delimiter=";",
        decimal_mark=",", thousands_separator=".", encoding="cp1252")
    assert mapping_from_layout(layouts[1]) == CsvMapping(
        name="bms-power", meter_column="point", time_column="ts", value_column="avg", unit_column="uom",
        channel_column="register", interval_minutes_column="minutes")
    assert sorted(campus_mappings(layouts)) == ["SITE_EXPORT_V1", "bms-power", "scada-15min-ending"]


def test_the_campus_file_knows_the_built_in_layouts_by_name() -> None:
    """campus cannot import meterdata (it sits below it): its list of built-in names is kept equal here."""
    assert set(BUILT_IN_LAYOUTS) == set(MAPPINGS)


@pytest.mark.parametrize(("replace", "by", "field", "reason_start"), [
    ('unit = "kWh"\ntime_label', 'unit_column = "u"\nunit = "kWh"\ntime_label', "csv_layouts[0].unit",
     "declare exactly one of unit"),
    ('unit_column = "uom"\n', "", "csv_layouts[1].unit", "declare exactly one of unit"),
    ('time_zone = "Europe/Berlin"', 'time_zone = "EST"', "csv_layouts[0].time_zone",
     "'EST' is an abbreviation, not the zone of the file's local times"),
    ('time_zone = "Europe/Berlin"', 'time_zone = "Europe/Atlantis"', "csv_layouts[0].time_zone",
     "'Europe/Atlantis' is not an IANA time zone"),
    ('time_zone = "Europe/Berlin"\n', "", "csv_layouts[0].time_zone", "time_format '%d.%m.%Y %H:%M' has no %z"),
    ('"%d.%m.%Y %H:%M"', '"%d.%m %H:%M"', "csv_layouts[0].time_format", "'%d.%m %H:%M' does not carry the full"),
    ('"%d.%m.%Y %H:%M"', '"%d.%m.%Y %H:%M %Q"', "csv_layouts[0].time_format", "'%d.%m.%Y %H:%M %Q' is not a "),
    ('encoding = "cp1252"', 'encoding = "cp9999"', "csv_layouts[0].encoding", "unknown encoding 'cp9999'"),
    ('delimiter = ";"', 'delimiter = ","', "csv_layouts[0].decimal_mark", "',' is also the delimiter"),
    ('thousands_separator = "."', 'thousands_separator = ","', "csv_layouts[0].thousands_separator", "',' cannot"),
    ('value_column = "avg"', 'value_column = "ts"', "csv_layouts[1].value_column", ("column 'ts' is already the "
                                                                                    "time_column")),
    ('meter_column = "point"', 'meter_column = " point"', "csv_layouts[1].meter_column", "' point' has spaces"),
    ('name = "bms-power"', 'name = "site_export_v1"', "csv_layouts[1].name", "'site_export_v1' is the built-in"),
    ('name = "bms-power"', 'name = "scada-15min-ending"', "csv_layouts[1].name", "'scada-15min-ending' appears"),
    ('name = "bms-power"', 'name = "bms power"', "csv_layouts[1].name", "String should match pattern"),
    ('time_label = "ending"', 'time_label = "end"', "csv_layouts[0].time_label", "Input should be 'beginning'"),
    ('unit = "kWh"', 'unit = "kwh"', "csv_layouts[0].unit", "Input should be 'Wh'"),
    ('delimiter = ";"', 'delimiter = ";;"', "csv_layouts[0].delimiter", "String should have at most 1 character"),
    ('channel_column = "register"', 'chanel_column = "register"', "csv_layouts[1].chanel_column",
     "unknown field 'chanel_column': did you mean 'channel_column'?"),
])
def test_each_bad_field_is_named_by_its_line(replace: str, by: str, field: str, reason_start: str) -> None:
    """One mistake at a time: the problem names the field's path, the line it is on (the field's own when written,
    else its layout's header) and why."""
    extra = SCADA.replace(replace, by, 1)
    assert extra != SCADA
    [(named, line, reason)] = _problems(extra)
    assert named == field and reason.startswith(reason_start), (named, reason)
    key = field.rsplit(".", 1)[1]
    assert line.startswith(f"{key} =") or (line == "[[csv_layouts]]" and key not in by), line


def test_an_applied_layout_never_changes_or_goes_and_new_ones_are_added() -> None:
    """Files received with a layout are read with it again: editing or removing it is refused with what to do;
    a new name is a plain addition."""
    old = _parse(SCADA)
    changed = _parse(SCADA.replace('time_label = "ending"', 'time_label = "beginning"'))
    refusals = plan_changes(old, changed).refusals
    assert refusals == [("csv layout scada-15min-ending cannot change (time_label ending -> beginning): files "
                        "received with it are read with it again; add a layout with a new name")]
    removed = _parse(SCADA.split("\n[[csv_layouts]]\nname = \"bms-power\"")[0])
    assert plan_changes(old, removed).refusals == [
        "csv layout bms-power cannot be removed: files received with it are read with it again; keep it"]
    added = _parse(SCADA + SCADA.split("\n[[csv_layouts]]\nname = \"bms-power\"")[0].replace(
        "scada-15min-ending", "scada-v2").replace('time_label = "ending"', 'time_label = "beginning"'))
    plan = plan_changes(old, added)
    assert plan.refusals == [] and [str(change) for change in plan.changes] == [
        "+ csv layout scada-v2: unit kWh, time beginning"]
    first = plan_changes(read_campus_file(DEMO).document, old)
    assert first.refusals == [] and [str(c) for c in first.changes] == [
        "+ csv layout scada-15min-ending: unit kWh, time ending", ("+ csv layout bms-power: unit column uom, time "
                                                                  "beginning")]


def test_the_campus_default_layout_must_be_one_the_campus_has() -> None:
    """`campus.csv_layout` names a declared layout or a built-in one; an unknown name is refused at its line,
    listing the layouts there are. Changing it later is a plain change (it applies to files received after)."""
    demo = DEMO.read_text()
    with_default = demo.replace('time_zone = "America/New_York"',
                                'time_zone = "America/New_York"\ncsv_layout = "bms-power"', 1) + SCADA
    document = parse_campus_text("campus.toml", with_default.encode(), None).document
    assert document["campus"]["csv_layout"] == "bms-power"
    built_in = demo.replace('time_zone = "America/New_York"',
                            'time_zone = "America/New_York"\ncsv_layout = "SITE_EXPORT_V1"', 1)
    assert parse_campus_text("campus.toml", built_in.encode(), None).document["campus"]["csv_layout"] == \
        "SITE_EXPORT_V1"
    misspelt = with_default.replace('csv_layout = "bms-power"', 'csv_layout = "bms_power"')
    with pytest.raises(CampusFileInvalid) as caught:
        parse_campus_text("campus.toml", misspelt.encode(), None)
    [problem] = caught.value.problems
    assert problem.field == "campus.csv_layout"
    assert problem.reason == "no layout 'bms_power': one of SITE_EXPORT_V1, bms-power, scada-15min-ending"
    assert misspelt.splitlines()[problem.line - 1] == 'csv_layout = "bms_power"'
    switched = with_default.replace('csv_layout = "bms-power"', 'csv_layout = "scada-15min-ending"')
    plan = plan_changes(document, parse_campus_text("campus.toml", switched.encode(), None).document)
    assert plan.refusals == []

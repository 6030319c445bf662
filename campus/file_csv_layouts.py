"""The campus file's `[[csv_layouts]]` section: named CSV shapes of the campus's meter exports (docs/meter-data.md,
"Your own CSV layout").

A layout says which column holds what, the unit (fixed or a column), the clock (interval beginning or ending, the
zone of times written without an offset, a strptime format) and the number format (delimiter, decimal mark,
thousands separator, encoding). Nothing is guessed from a file. Each received file records the name of the layout
it was read with, and every later read of it (a cycle, a correction) uses that layout again; so an applied layout
never changes or disappears (campus.plan): a new shape is a new name.

The section only declares; `meterdata` turns each stored declaration into its CSV mapping.
"""

from __future__ import annotations

import codecs
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from campus.file_zones import zone_problem

BUILT_IN_LAYOUTS = ("SITE_EXPORT_V1",)
"""Layouts every campus has (meterdata.MAPPINGS); a declared layout may not take their names."""
LAYOUT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"
CsvUnit = Literal["Wh", "kWh", "MWh", "W", "kW", "MW", "MMBtu", "therm"]
COLUMN_FIELDS = ("meter_column", "time_column", "value_column", "unit_column", "channel_column",
                 "interval_minutes_column")
# A sample instant whose every part differs (day 28 > 12, hour 13 > 12, minute 45): a format that drops or swaps
# a part cannot read it back the same.
SAMPLE_LOCAL = datetime(2026, 11, 28, 13, 45)
SAMPLE_OFFSET = timezone(timedelta(hours=-5))
Problems = list[tuple[tuple[str | int, ...], str]]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _column(description: str) -> Any:
    return Field(min_length=1, max_length=200, description=description)


class CsvLayoutSection(_Section):
    name: str = Field(pattern=LAYOUT_NAME_PATTERN,
                      description="The layout's name, given when a file is received (`--layout`, `layout=`). A "
                                  "changed shape is a new name: applied layouts never change.")
    meter_column: str = _column("Header of the column naming the meter (its id or a device serial).")
    time_column: str = _column("Header of the column holding the interval's timestamp.")
    value_column: str = _column("Header of the column holding the reading.")
    unit_column: str | None = Field(None, min_length=1, max_length=200,
                                    description="Header of a column naming each value's unit. Give this or `unit`.")
    unit: CsvUnit | None = Field(None, description="The unit of every value, when the file has no unit column.")
    channel_column: str | None = Field(None, min_length=1, max_length=200,
                                       description="Header of a channel column; absent: every row is on `main`.")
    interval_minutes_column: str | None = Field(
        None, min_length=1, max_length=200,
        description="Header of a column stating each row's interval length; it must equal the meter's.")
    time_label: Literal["beginning", "ending"] = Field(
        "beginning", description="Whether a timestamp labels the interval's beginning or its end (`ending`: the "
                                 "reading stamped 00:15 is the interval [00:00, 00:15)).")
    time_zone: str | None = Field(None, description="IANA zone of timestamps written without an offset (local "
                                                    "wall-clock times); absent: such timestamps are refused.")
    time_format: str | None = Field(None, min_length=2, max_length=100,
                                    description="strptime format of the timestamps (e.g. `%d.%m.%Y %H:%M`); "
                                                "absent: ISO 8601.")
    delimiter: str = Field(",", min_length=1, max_length=1, description="Field separator: `,`, `;`, a tab, `|`.")
    decimal_mark: Literal[".", ","] = Field(".", description="`,` for exports written with a decimal comma.")
    thousands_separator: str | None = Field(None, min_length=1, max_length=1,
                                            description="Digit-group separator in values (e.g. `.` or a space).")
    encoding: str = Field("utf-8-sig", min_length=1, max_length=40,
                          description="Text encoding (Python codec name, e.g. `cp1252`); the default reads UTF-8 "
                                      "with or without a byte-order mark.")


def csv_layout_problems(document: dict[str, Any]) -> Problems:
    """What the field-by-field schema cannot see: names unique and not built-in, one unit source, a real zone, a
    format that reads back what it writes, a known encoding, separators that do not collide."""
    problems: Problems = []
    seen: set[str] = set()
    built_in = {name.lower(): name for name in BUILT_IN_LAYOUTS}
    for index, layout in enumerate(document.get("csv_layouts") or []):
        where: tuple[str | int, ...] = ("csv_layouts", index)
        name = layout["name"]
        if name.lower() in built_in:
            problems.append(((*where, "name"), (f"{name!r} is the built-in layout {built_in[name.lower()]}: "
                                               "give yours another name")))
        elif name in seen:
            problems.append(((*where, "name"), f"{name!r} appears twice"))
        seen.add(name)
        problems += [((*where, field), reason) for field, reason in _layout_problems(layout)]
    default = (document.get("campus") or {}).get("csv_layout")
    if default is not None and default not in (*BUILT_IN_LAYOUTS, *seen):
        problems.append((("campus", "csv_layout"), (f"no layout {default!r}: one of "
                                                    f"{', '.join((*BUILT_IN_LAYOUTS, *sorted(seen)))}")))
    return problems


def _layout_problems(layout: dict[str, Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if (layout.get("unit") is None) == (layout.get("unit_column") is None):
        found.append(("unit", ("declare exactly one of unit (every value's unit) and unit_column (a column naming "
                              "each value's unit)")))
    found += _column_problems(layout)
    if layout.get("time_zone") is not None:
        reason = zone_problem(layout["time_zone"], "the zone of the file's local times")
        if reason is not None:
            found.append(("time_zone", reason))
    found += _time_format_problems(layout)
    found += _number_format_problems(layout)
    try:
        codecs.lookup(layout["encoding"])
    except LookupError:
        found.append(("encoding", (f"unknown encoding {layout['encoding']!r} (e.g. 'utf-8-sig', 'cp1252', "
                                  "'latin-1')")))
    return found


def _column_problems(layout: dict[str, Any]) -> list[tuple[str, str]]:
    """Each field names its own column, written as the header reads."""
    found: list[tuple[str, str]] = []
    used: dict[str, str] = {}
    for field in COLUMN_FIELDS:
        column = layout.get(field)
        if column is None:
            continue
        if column != column.strip():
            # Headers are read trimmed (meterdata.csv_reader): a name with surrounding spaces would never match.
            found.append((field, f"{column!r} has spaces around it: write the header as it reads, trimmed"))
        elif column in used:
            found.append((field, f"column {column!r} is already the {used[column]}"))
        else:
            used[column] = field
    return found


def _time_format_problems(layout: dict[str, Any]) -> list[tuple[str, str]]:
    """The format writes a sample instant and reads it back the same: it carries date, hour and minute. Without
    %z its times are local, so the zone they are in is needed."""
    pattern = layout.get("time_format")
    if pattern is None:
        return []
    sample = SAMPLE_LOCAL.replace(tzinfo=SAMPLE_OFFSET) if "%z" in pattern else SAMPLE_LOCAL
    try:
        written = sample.strftime(pattern)
        read = datetime.strptime(written, pattern)
    except ValueError as error:
        return [("time_format", f"{pattern!r} is not a strptime format that reads what it writes: {error}")]
    if read != sample:
        return [("time_format", (f"{pattern!r} does not carry the full date and time: {sample.isoformat()} written "
                                f"as {written!r} reads back as {read.isoformat()}"))]
    if "%z" not in pattern and layout.get("time_zone") is None:
        return [("time_zone", f"time_format {pattern!r} has no %z, so its times are local: name their IANA zone")]
    return []


def _number_format_problems(layout: dict[str, Any]) -> list[tuple[str, str]]:
    delimiter, decimal_mark = layout["delimiter"], layout["decimal_mark"]
    thousands = layout.get("thousands_separator")
    found: list[tuple[str, str]] = []
    if delimiter in "\"\r\n" or delimiter.isalnum():
        found.append(("delimiter", (f"{delimiter!r} cannot separate fields (a quote, a line break, a letter or "
                                   "a digit)")))
    elif delimiter == decimal_mark:
        found.append(("decimal_mark", (f"{decimal_mark!r} is also the delimiter: a decimal-comma export is "
                                      "`;`-separated (delimiter = \";\")")))
    if thousands is not None and (thousands in (delimiter, decimal_mark) or thousands.isalnum()
                                  or thousands in "\"\r\n+-"):
        found.append(("thousands_separator", (f"{thousands!r} cannot separate digit groups here (it is the "
                                             "delimiter, the decimal mark, a sign, a digit or a letter)")))
    return found

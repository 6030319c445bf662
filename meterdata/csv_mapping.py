"""Declared CSV layouts, one per data source: which column holds what, in which unit and clock.

Nothing about a CSV file is guessed. A source declares its columns, its unit (or a unit column), whether
timestamps label the interval beginning or ending, the local zone used for timestamps without an offset,
the delimiter, the decimal mark and the thousands separator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from common.errors import BadInput


@dataclass(frozen=True)
class CsvMapping:
    name: str
    meter_column: str
    time_column: str
    value_column: str
    unit_column: str | None = None
    unit: str | None = None
    """Unit for every value when the file has no unit column (Wh, kWh, MWh, W, kW, MW, MMBtu, therm)."""
    channel_column: str | None = None
    channel_default: str = "main"
    channel_column_required: bool = True
    """False: a file may leave the channel column out, and then every row is on `channel_default`."""
    interval_minutes_column: str | None = None
    """When the file states each row's interval length, it must equal the meter registry's."""
    time_label: Literal["beginning", "ending"] = "beginning"
    time_zone: str | None = None
    """IANA zone for timestamps without an offset; None refuses such timestamps."""
    time_format: str | None = None
    """strptime format; None means ISO 8601 (offset optional)."""
    delimiter: str = ","
    decimal_mark: str = "."
    thousands_separator: str | None = None
    encoding: str = "utf-8-sig"
    """utf-8-sig reads files with or without a byte-order mark."""

    def __post_init__(self) -> None:
        assert (self.unit is None) != (self.unit_column is None), "declare unit or unit_column"
        assert self.decimal_mark != self.thousands_separator
        assert self.decimal_mark != self.delimiter


SITE_EXPORT_V1 = CsvMapping(
    name="SITE_EXPORT_V1",
    meter_column="meter_id",
    time_column="interval_start",
    value_column="value",
    unit_column="unit",
    channel_column="channel",
    channel_column_required=False,
    time_label="beginning",
)
"""The campus site export: `meter_id,interval_start,value,unit`, ISO 8601 with offset, interval beginning; an optional
`channel` column (empty or absent: `main`) carries other channels, such as a battery's state of charge."""

MAPPINGS: dict[str, CsvMapping] = {SITE_EXPORT_V1.name: SITE_EXPORT_V1}
"""Built-in mappings by name: every campus has them, beside the layouts its campus file declares."""


def mapping_from_layout(layout: Mapping[str, Any]) -> CsvMapping:
    """The mapping of one `[[csv_layouts]]` entry of a campus file (checked there: campus.file_csv_layouts), as
    stored in the applied document. A declared channel column must be in the file's header."""
    return CsvMapping(
        name=layout["name"], meter_column=layout["meter_column"], time_column=layout["time_column"],
        value_column=layout["value_column"], unit_column=layout.get("unit_column"), unit=layout.get("unit"),
        channel_column=layout.get("channel_column"),
        interval_minutes_column=layout.get("interval_minutes_column"), time_label=layout["time_label"],
        time_zone=layout.get("time_zone"), time_format=layout.get("time_format"), delimiter=layout["delimiter"],
        decimal_mark=layout["decimal_mark"], thousands_separator=layout.get("thousands_separator"),
        encoding=layout["encoding"],
    )


def campus_mappings(layouts: Sequence[Mapping[str, Any]]) -> dict[str, CsvMapping]:
    """The built-in mappings and a campus's declared layouts (`campus.load_csv_layouts`), by name."""
    declared = {layout["name"]: mapping_from_layout(layout) for layout in layouts}
    assert not set(declared) & set(MAPPINGS), "the campus file refuses a built-in layout's name"
    return {**MAPPINGS, **declared}


def mapping_named(mappings: Mapping[str, CsvMapping], name: str, source: str) -> CsvMapping:
    """The mapping called `name`; BadInput naming the known ones (a file is refused before it is stored)."""
    if name not in mappings:
        raise BadInput(source, None, "layout", f"unknown CSV layout {name!r}; known: {', '.join(sorted(mappings))} "
                                               "(declare yours in the campus file's [[csv_layouts]])")
    return mappings[name]

"""Declared CSV layouts, one per data source: which column holds what, in which unit and clock.

Nothing about a CSV file is guessed. A source declares its columns, its unit (or a unit column), whether
timestamps label the interval beginning or ending, the local zone used for timestamps without an offset,
the delimiter, the decimal mark and the thousands separator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


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
"""Declared mappings by name, as the API and CLI accept them."""

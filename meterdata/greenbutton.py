"""Read a Green Button (NAESB REQ.21 ESPI) Atom feed into normalized readings.

Resources are tied by links, not nesting: MeterReading -(related)-> ReadingType and its IntervalBlock
feed. Values are `value x 10^powerOfTenMultiplier` in `uom` (72 = Wh; 38 = W, average power over the
interval). Times are UTC epoch seconds, interval start. A usage point maps to the meter whose id equals
the usage point's id (last path segment) or its title, unless `usage_point_meter_ids` says otherwise; that
name may also be the serial of one of a point's devices (see meterdata.specs). Readings are written under the
point's id, scaled by the multiplier in force for them, and refused outside the point's or device's service.
Tolerant on input: a ReadingType nested inside its MeterReading (seen in published fixtures) is accepted.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, DecimalException
from typing import BinaryIO
from xml.etree import ElementTree

from common.errors import BadInput
from meterdata.greenbutton_xml import (
    Feed,
    IntervalReadingEvent,
    MeterReadingLinks,
    scan_feed,
    stream_interval_blocks,
)
from meterdata.readings import ReadingSink, ReadingWindow
from meterdata.schema import QUALITY_EDITED, QUALITY_ESTIMATED, QUALITY_MEASURED, QUALITY_SUSPECT
from meterdata.specs import MeterSpec, ReadingNames, ReadingOutsideService
from meterdata.units import energy_wh_from_value

ESPI = "{http://naesb.org/espi}"
UOM_WH = 72
UOM_W = 38
ACCUMULATION_DELTA = 4
ACCUMULATION_REGISTER = (1, 9)
CHANNEL_BY_FLOW_DIRECTION = {1: "main", 19: "received", 4: "net"}
QUALITY_BY_ESPI_CODE = {
    0: QUALITY_MEASURED, 14: QUALITY_MEASURED, 17: QUALITY_MEASURED, 19: QUALITY_MEASURED,
    7: QUALITY_EDITED, 8: QUALITY_ESTIMATED, 9: QUALITY_ESTIMATED, 11: QUALITY_ESTIMATED,
    12: QUALITY_ESTIMATED, 10: QUALITY_SUSPECT,
}
READINGS_PER_FILE_MAX = 50_000_000
INTEGER_CHARS_MAX = 40


@dataclass(frozen=True)
class ReadingType:
    uom: int
    multiplier_power_of_ten: int
    interval_length_s: int | None
    accumulation: int
    flow_direction: int


StreamOpener = Callable[[], contextlib.AbstractContextManager[BinaryIO]]
"""Opens the file's bytes from the start: the feed is read twice (see meterdata.greenbutton_xml)."""


def read_greenbutton(
    data: bytes | StreamOpener, source: str, sha256_hex: str, meters: Mapping[str, MeterSpec], window: ReadingWindow,
    out: ReadingSink, usage_point_meter_ids: Mapping[str, str] | None = None,
) -> int:
    """Give the feed's readings to `out`, streamed: memory does not grow with the file; returns their count."""
    opener = _bytes_opener(data) if isinstance(data, bytes) else data
    with opener() as stream:
        feed = scan_feed(stream, source)
    names = ReadingNames(meters)
    targets: dict[str, tuple[MeterSpec, str | None, ReadingType]] = {}
    for reading_links in feed.meter_readings.values():
        spec, serial = _meter_for(feed, reading_links, names, usage_point_meter_ids or {}, source)
        targets[reading_links.self_href] = (spec, serial, _reading_type(feed, reading_links, source))
    blocks = _BlockReader(targets, source, sha256_hex, window, out)
    with opener() as stream:
        stream_interval_blocks(stream, source, feed, blocks.reading, blocks.block_end)
    return blocks.count


def _bytes_opener(data: bytes) -> StreamOpener:
    return lambda: contextlib.nullcontext(io.BytesIO(data))


def _meter_for(
    feed: Feed, links: MeterReadingLinks, names: ReadingNames, explicit: Mapping[str, str], source: str,
) -> tuple[MeterSpec, str | None]:
    """The point a usage point's readings belong to, and the device serial naming it (None: its own id)."""
    usage_point = links.usage_point_href
    title = feed.titles.get(usage_point, "")
    candidates = [explicit.get(usage_point), explicit.get(title), usage_point.rsplit("/", 1)[-1], title]
    for candidate in candidates:
        if candidate is not None and candidate in names.by_name:
            return names.by_name[candidate]
    line = feed.lines.get(usage_point)
    ambiguous = [names.unknown_reason(c) for c in candidates if c is not None and c in names.ambiguous]
    reason = ambiguous[0] if ambiguous else f"no meter registered for usage point {usage_point!r} ({title!r})"
    raise BadInput(source, line, "UsagePoint", reason)


def _reading_type(feed: Feed, links: MeterReadingLinks, source: str) -> ReadingType:
    element = links.nested_reading_type
    if element is None:
        for href in links.related_hrefs:
            if href in feed.reading_types:
                element = feed.reading_types[href]
                break
    if element is None:
        raise BadInput(source, feed.lines.get(links.self_href), "ReadingType", "meter reading has no ReadingType")

    def number(name: str, default: int | None) -> int | None:
        child = element.find(ESPI + name)
        if child is None or child.text is None:
            return default
        return _int_text(child.text, name, source, feed.lines.get(child))

    uom = number("uom", None)
    if uom not in (UOM_WH, UOM_W):
        raise BadInput(source, feed.lines.get(element), "uom", f"unit code {uom} is neither Wh (72) nor W (38)")
    return ReadingType(
        uom=uom,
        multiplier_power_of_ten=number("powerOfTenMultiplier", 0) or 0,
        interval_length_s=number("intervalLength", None),
        accumulation=number("accumulationBehaviour", ACCUMULATION_DELTA) or ACCUMULATION_DELTA,
        flow_direction=number("flowDirection", 1) or 1,
    )


class _BlockReader:
    """The second pass's callbacks: each IntervalReading checked and given to `out` as it ends."""

    def __init__(self, targets: Mapping[str, tuple[MeterSpec, str | None, ReadingType]], source: str,
                 sha256_hex: str, window: ReadingWindow, out: ReadingSink) -> None:
        self.targets = targets
        self.source = source
        self.sha256_hex = sha256_hex
        self.window = window
        self.out = out
        self.count = 0
        self.index_in_block = 0
        self.block_start_s: int | None = None

    def _block_start_s(self, target: tuple[MeterSpec, str | None, ReadingType], start_text: str | None,
                       line: int) -> int:
        """The block's checks (its interval length, its start), done once per block; its start in epoch s."""
        spec, _, reading_type = target
        interval_s = spec.interval_minutes * 60
        if reading_type.interval_length_s is not None and reading_type.interval_length_s != interval_s:
            reason = f"intervalLength {reading_type.interval_length_s} s, meter {spec.meter_id} is {interval_s} s"
            raise BadInput(self.source, line, "intervalLength", reason)
        if start_text is None:
            raise BadInput(self.source, line, "start", "missing before the block's first IntervalReading")
        return _int_text(start_text, "start", self.source, line)

    def block_end(self, meter_reading_href: str, start_text: str | None, line: int) -> None:
        target = self.targets.get(meter_reading_href)
        if target is not None and self.index_in_block == 0:
            self._block_start_s(target, start_text, line)  # an empty block is checked too
        self.index_in_block = 0
        self.block_start_s = None

    def reading(self, event: IntervalReadingEvent) -> None:
        target = self.targets.get(event.meter_reading_href)
        if target is None:
            return  # a block of a meter reading the feed does not describe: not ours to read
        spec, serial, reading_type = target
        interval_s = spec.interval_minutes * 60
        if self.block_start_s is None:
            self.block_start_s = self._block_start_s(target, event.block_start_s_text, event.block_line)
        block_start_s = self.block_start_s
        reading, line = event.reading, event.lines.get(event.reading, 0)
        start_s = block_start_s + self.index_in_block * interval_s
        self.index_in_block += 1
        period = reading.find(ESPI + "timePeriod")
        if period is not None:
            start_s = _int_child(period, "start", event.lines, self.source)
            duration_s = _int_child(period, "duration", event.lines, self.source)
            if duration_s != interval_s:
                reason = f"duration {duration_s} s, meter {spec.meter_id} is {interval_s} s"
                raise BadInput(self.source, line, "timePeriod/duration", reason)
        raw_value = _int_child(reading, "value", event.lines, self.source)
        start_utc = _utc_from_epoch_s(start_s, self.source, line)
        self.window.check(start_utc, spec.interval_minutes, self.source, line, "timePeriod/start")
        try:
            multiplier = spec.reading_multiplier(serial, start_utc)
        except ReadingOutsideService as error:
            raise BadInput(self.source, line, "timePeriod/start", error.reason) from error
        energy_wh = _checked_energy_wh(raw_value, reading_type, spec.interval_minutes, multiplier, self.source, line)
        quality = _quality(reading, event.lines, self.source)
        self.out.append(spec.meter_id, _channel(reading_type), start_utc, spec.interval_minutes, energy_wh, quality,
                        self.sha256_hex, line)
        self.count += 1
        if self.count > READINGS_PER_FILE_MAX:
            raise BadInput(self.source, line, None, f"more than {READINGS_PER_FILE_MAX} readings in one file")


def _utc_from_epoch_s(start_s: int, source: str, line: int) -> datetime:
    try:
        return datetime.fromtimestamp(start_s, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise BadInput(source, line, "timePeriod/start", f"{start_s} is not a representable time") from error


def _checked_energy_wh(raw_value: int, reading_type: ReadingType, interval_minutes: int, multiplier: Decimal,
                       source: str, line: int) -> int:
    # Absurd multipliers or digit counts must be refused as input, not crash the Decimal context or int64.
    try:
        energy_wh = _energy_wh(raw_value, reading_type, interval_minutes, multiplier)
    except DecimalException as error:
        raise BadInput(source, line, "value", f"{raw_value} x 10^{reading_type.multiplier_power_of_ten} is out of range") from error
    if not -(2**63 - 1) <= energy_wh <= 2**63 - 1:
        raise BadInput(source, line, "value", f"{raw_value} x 10^{reading_type.multiplier_power_of_ten} is out of range")
    return energy_wh


def _channel(reading_type: ReadingType) -> str:
    if reading_type.accumulation in ACCUMULATION_REGISTER:
        return "register"
    return CHANNEL_BY_FLOW_DIRECTION.get(reading_type.flow_direction, f"flow{reading_type.flow_direction}")


def _energy_wh(raw_value: int, reading_type: ReadingType, interval_minutes: int, multiplier: Decimal) -> int:
    # Built from text: a Decimal's constructor is exact, where scaleb would round to the context's 28 digits.
    value = Decimal(f"{raw_value}E{reading_type.multiplier_power_of_ten}")
    unit = "W" if reading_type.uom == UOM_W else "Wh"
    return energy_wh_from_value(value, unit, interval_minutes, multiplier)


def _quality(reading: ElementTree.Element, lines: Mapping[object, int], source: str) -> int:
    quality = reading.find(ESPI + "ReadingQuality")
    if quality is None:
        return QUALITY_MEASURED
    code = _int_child(quality, "quality", lines, source)
    if code not in QUALITY_BY_ESPI_CODE:
        raise BadInput(source, lines.get(quality), "ReadingQuality/quality", f"unknown quality code {code}")
    return QUALITY_BY_ESPI_CODE[code]


def _int_child(parent: ElementTree.Element, name: str, lines: Mapping[object, int], source: str) -> int:
    child = parent.find(ESPI + name)
    if child is None or child.text is None:
        raise BadInput(source, lines.get(parent), name, "missing")
    return _int_text(child.text, name, source, lines.get(child))


def _int_text(text: str, name: str, source: str, line: int | None) -> int:
    stripped = text.strip()
    # An ESPI integer is at most int64; far longer digit strings are refused before int() works on them.
    if len(stripped) > INTEGER_CHARS_MAX:
        raise BadInput(source, line, name, f"not an integer of at most {INTEGER_CHARS_MAX} digits")
    try:
        return int(stripped)
    except ValueError as error:
        raise BadInput(source, line, name, f"not an integer: {stripped[:40]!r}") from error

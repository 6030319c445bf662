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

import xml.parsers.expat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, DecimalException
from xml.etree import ElementTree

from common.errors import BadInput
from meterdata.greenbutton_xml import Feed, MeterReadingLinks, parse_feed
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


@dataclass(frozen=True)
class ReadingType:
    uom: int
    multiplier_power_of_ten: int
    interval_length_s: int | None
    accumulation: int
    flow_direction: int


def read_greenbutton(
    data: bytes, source: str, sha256_hex: str, meters: Mapping[str, MeterSpec], window: ReadingWindow,
    out: ReadingSink, usage_point_meter_ids: Mapping[str, str] | None = None,
) -> int:
    try:
        feed = parse_feed(data)
    except (xml.parsers.expat.ExpatError, ValueError) as error:
        raise BadInput(source, getattr(error, "lineno", None), None, f"not well-formed XML: {error}") from error
    names = ReadingNames(meters)
    count = 0
    for reading_links in feed.meter_readings.values():
        spec, serial = _meter_for(feed, reading_links, names, usage_point_meter_ids or {}, source)
        reading_type = _reading_type(feed, reading_links, source)
        for block in feed.interval_blocks.get(reading_links.self_href, []):
            count += _read_block(block, feed, reading_type, (spec, serial), source, sha256_hex, window, out)
            assert count <= READINGS_PER_FILE_MAX
    return count


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
        try:
            return int(child.text.strip())
        except ValueError as error:
            raise BadInput(source, feed.lines.get(child), name, f"not an integer: {child.text!r}") from error

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


def _read_block(
    block: ElementTree.Element, feed: Feed, reading_type: ReadingType, named: tuple[MeterSpec, str | None],
    source: str, sha256_hex: str, window: ReadingWindow, out: ReadingSink,
) -> int:
    spec, serial = named
    interval_s = spec.interval_minutes * 60
    if reading_type.interval_length_s is not None and reading_type.interval_length_s != interval_s:
        reason = f"intervalLength {reading_type.interval_length_s} s, meter {spec.meter_id} is {interval_s} s"
        raise BadInput(source, feed.lines.get(block), "intervalLength", reason)
    block_start_s = _int_child(block.find(ESPI + "interval"), "start", feed, source)
    channel = _channel(reading_type)
    count = 0
    for index, reading in enumerate(block.findall(ESPI + "IntervalReading")):
        line = feed.lines.get(reading, 0)
        period = reading.find(ESPI + "timePeriod")
        start_s = block_start_s + index * interval_s
        if period is not None:
            start_s = _int_child(period, "start", feed, source)
            duration_s = _int_child(period, "duration", feed, source)
            if duration_s != interval_s:
                reason = f"duration {duration_s} s, meter {spec.meter_id} is {interval_s} s"
                raise BadInput(source, line, "timePeriod/duration", reason)
        raw_value = _int_child(reading, "value", feed, source)
        start_utc = _utc_from_epoch_s(start_s, source, line)
        window.check(start_utc, spec.interval_minutes, source, line, "timePeriod/start")
        try:
            multiplier = spec.reading_multiplier(serial, start_utc)
        except ReadingOutsideService as error:
            raise BadInput(source, line, "timePeriod/start", error.reason) from error
        minutes = spec.interval_minutes
        energy_wh = _checked_energy_wh(raw_value, reading_type, minutes, multiplier, source, line)
        quality = _quality(reading, feed, source)
        out.append(spec.meter_id, channel, start_utc, spec.interval_minutes, energy_wh, quality, sha256_hex, line)
        count += 1
    return count


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


def _quality(reading: ElementTree.Element, feed: Feed, source: str) -> int:
    quality = reading.find(ESPI + "ReadingQuality")
    if quality is None:
        return QUALITY_MEASURED
    code = _int_child(quality, "quality", feed, source)
    if code not in QUALITY_BY_ESPI_CODE:
        raise BadInput(source, feed.lines.get(quality), "ReadingQuality/quality", f"unknown quality code {code}")
    return QUALITY_BY_ESPI_CODE[code]


def _int_child(parent: ElementTree.Element | None, name: str, feed: Feed, source: str) -> int:
    child = parent.find(ESPI + name) if parent is not None else None
    if child is None or child.text is None:
        raise BadInput(source, feed.lines.get(parent) if parent is not None else None, name, "missing")
    try:
        return int(child.text.strip())
    except ValueError as error:
        raise BadInput(source, feed.lines.get(child), name, f"not an integer: {child.text!r}") from error

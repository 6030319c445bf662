"""Parse an ESPI Atom feed into elements keyed by their self links, remembering each element's line."""

from __future__ import annotations

import xml.parsers.expat
from dataclasses import dataclass, field
from xml.etree import ElementTree

ATOM = "{http://www.w3.org/2005/Atom}"
ESPI = "{http://naesb.org/espi}"
ENTRIES_MAX = 1_000_000


@dataclass
class MeterReadingLinks:
    self_href: str
    usage_point_href: str
    related_hrefs: list[str]
    nested_reading_type: ElementTree.Element | None


@dataclass
class Feed:
    lines: dict[object, int] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    meter_readings: dict[str, MeterReadingLinks] = field(default_factory=dict)
    reading_types: dict[str, ElementTree.Element] = field(default_factory=dict)
    interval_blocks: dict[str, list[ElementTree.Element]] = field(default_factory=dict)


def parse_tree_with_lines(data: bytes) -> tuple[ElementTree.Element, dict[object, int]]:
    """ElementTree with each element's start line (expat tells us; ElementTree alone does not)."""
    builder = ElementTree.TreeBuilder()
    lines: dict[object, int] = {}
    parser = xml.parsers.expat.ParserCreate(namespace_separator="}")

    def start(name: str, attributes: dict[str, str]) -> None:
        element = builder.start("{" + name if "}" in name else name, attributes)
        lines[element] = parser.CurrentLineNumber

    def end(name: str) -> None:
        builder.end("{" + name if "}" in name else name)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.Parse(data, True)
    return builder.close(), lines


def parse_feed(data: bytes) -> Feed:
    root, lines = parse_tree_with_lines(data)
    if root.tag != ATOM + "feed":
        raise ValueError(f"root element is {root.tag}, not an Atom feed")
    feed = Feed(lines=lines)
    for entry in root.findall(ATOM + "entry")[:ENTRIES_MAX]:
        _add_entry(entry, feed)
    return feed


def _add_entry(entry: ElementTree.Element, feed: Feed) -> None:
    self_href = ""
    related: list[str] = []
    for link in entry.findall(ATOM + "link"):
        if link.get("rel") == "self":
            self_href = link.get("href", "")
        elif link.get("rel") == "related":
            related.append(link.get("href", ""))
    title = entry.findtext(ATOM + "title") or ""
    content = entry.find(ATOM + "content")
    resource = content[0] if content is not None and len(content) else None
    if resource is None:
        return
    feed.lines[self_href] = feed.lines.get(entry, 0)
    kind = resource.tag.removeprefix(ESPI)
    if kind == "UsagePoint":
        feed.titles[self_href] = title.strip()
    elif kind == "MeterReading":
        usage_point = self_href.split("/MeterReading")[0]
        nested = resource.find(ESPI + "ReadingType")
        feed.meter_readings[self_href] = MeterReadingLinks(self_href, usage_point, related, nested)
    elif kind == "ReadingType":
        feed.reading_types[self_href] = resource
    elif kind == "IntervalBlock":
        meter_reading = self_href.split("/IntervalBlock")[0]
        feed.interval_blocks.setdefault(meter_reading, []).append(resource)

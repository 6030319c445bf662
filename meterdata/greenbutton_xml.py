"""Stream an ESPI Atom feed in two passes, with memory that does not grow with the file.

ESPI ties resources by links, not nesting, and a feed may list an IntervalBlock before the MeterReading it
belongs to. So the first pass (`scan_feed`) keeps only the small resources (usage points' titles, meter
readings' links, reading types) and, for each IntervalBlock entry in order, its self link; the second pass
(`stream_interval_blocks`) hands each IntervalReading to a callback as soon as it ends and then forgets it.
Each pass holds one entry (or one IntervalReading) at a time.

Untrusted input: a document type declaration is refused (ESPI needs none, and entity declarations are how an
entity-expansion or external-entity attack starts), as are a text value beyond TEXT_BYTES_MAX, a resource of
more than ENTRY_ELEMENTS_MAX elements and more than METADATA_ENTRIES_MAX resources other than IntervalBlocks.
Every refusal is a BadInput naming the line.
"""

from __future__ import annotations

import xml.parsers.expat
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.etree import ElementTree

from common.errors import BadInput

ATOM = "{http://www.w3.org/2005/Atom}"
ESPI = "{http://naesb.org/espi}"
READ_CHUNK_BYTES = 1 << 20
TEXT_BYTES_MAX = 1 << 16
"""The longest text of one element: ESPI values are numbers and short titles; this bounds what one holds."""
ENTRY_ELEMENTS_MAX = 10_000
"""Elements in one resource other than an IntervalBlock (a ReadingType has about 20)."""
METADATA_ENTRIES_MAX = 500_000
"""Resources other than IntervalBlocks kept between the passes: a few per usage point of a large campus."""


@dataclass
class MeterReadingLinks:
    self_href: str
    usage_point_href: str
    related_hrefs: list[str]
    nested_reading_type: ElementTree.Element | None


@dataclass
class Feed:
    """What the first pass keeps: lines are keyed by href and by kept element."""

    lines: dict[object, int] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    meter_readings: dict[str, MeterReadingLinks] = field(default_factory=dict)
    reading_types: dict[str, ElementTree.Element] = field(default_factory=dict)
    block_hrefs: dict[int, str] = field(default_factory=dict)
    """The self link of each entry holding an IntervalBlock, by the entry's position among the feed's entries."""


def _local(name: str) -> str:
    return "{" + name if "}" in name else name


class _SafeStream:
    """One expat parser over a stream: namespaces as `{uri}name`, no document type, bounded text."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
        self.parser.StartDoctypeDeclHandler = self._refuse_doctype
        self.parser.EntityDeclHandler = self._refuse_entity
        self.text_bytes = 0

    @property
    def line(self) -> int:
        return int(self.parser.CurrentLineNumber)

    def _refuse_doctype(self, *args: object) -> None:
        raise BadInput(self.source, self.line, None, "a document type declaration is not accepted in a meter file")

    def _refuse_entity(self, *args: object) -> None:
        raise BadInput(self.source, self.line, None, "an entity declaration is not accepted in a meter file")

    def count_text(self, data: str) -> None:
        self.text_bytes += len(data)
        if self.text_bytes > TEXT_BYTES_MAX:
            raise BadInput(self.source, self.line, None, f"an element's text exceeds {TEXT_BYTES_MAX} characters")

    def run(self, stream: BinaryIO) -> None:
        try:
            while chunk := stream.read(READ_CHUNK_BYTES):
                self.parser.Parse(chunk, False)
            self.parser.Parse(b"", True)
        except xml.parsers.expat.ExpatError as error:
            raise BadInput(self.source, error.lineno, None, f"not well-formed XML: {error}") from error


class _FeedScanner(_SafeStream):
    """First pass: the feed's small resources and the self links of its IntervalBlock entries."""

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.feed = Feed()
        self.depth = 0
        self.entry: ElementTree.TreeBuilder | None = None
        self.entry_line = 0
        self.entry_elements = 0
        self.entry_index = -1
        self.entry_has_block = False
        self.skipping_block = False
        self.lines: dict[object, int] = {}
        self.metadata_entries = 0
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.data

    def start(self, name: str, attributes: dict[str, str]) -> None:
        tag = _local(name)
        self.depth += 1
        if self.depth == 1 and tag != ATOM + "feed":
            raise BadInput(self.source, self.line, None, f"root element is {tag}, not an Atom feed")
        if self.depth == 2 and tag == ATOM + "entry":
            self.entry, self.entry_line, self.entry_elements, self.lines = ElementTree.TreeBuilder(), self.line, 0, {}
            self.entry_index += 1
            self.entry_has_block = False
        if self.entry is None or self.skipping_block:
            return
        if self.depth == 4 and tag == ESPI + "IntervalBlock":
            # Its readings are the second pass's: only the entry's links are kept.
            self.skipping_block = self.entry_has_block = True
            return
        self.entry_elements += 1
        if self.entry_elements > ENTRY_ELEMENTS_MAX:
            raise BadInput(self.source, self.line, None, f"a resource holds more than {ENTRY_ELEMENTS_MAX} elements")
        self.text_bytes = 0
        self.lines[self.entry.start(tag, attributes)] = self.line

    def end(self, name: str) -> None:
        self.depth -= 1
        if self.entry is None:
            return
        if self.skipping_block:
            self.skipping_block = self.depth != 3
            return
        element = self.entry.end(_local(name))
        if self.depth == 1:
            self.entry = None
            self._add_entry(element)

    def data(self, text: str) -> None:
        if self.entry is not None and not self.skipping_block:
            self.count_text(text)
            self.entry.data(text)

    def _add_entry(self, entry: ElementTree.Element) -> None:
        self_href = ""
        related: list[str] = []
        for link in entry.findall(ATOM + "link"):
            if link.get("rel") == "self":
                self_href = link.get("href", "")
            elif link.get("rel") == "related":
                related.append(link.get("href", ""))
        if self.entry_has_block:
            self.feed.block_hrefs[self.entry_index] = self_href
            self.feed.lines[self_href] = self.entry_line
            return
        content = entry.find(ATOM + "content")
        resource = content[0] if content is not None and len(content) else None
        if resource is None:
            return
        kind = resource.tag.removeprefix(ESPI)
        if kind not in ("UsagePoint", "MeterReading", "ReadingType"):
            return
        self.metadata_entries += 1
        if self.metadata_entries > METADATA_ENTRIES_MAX:
            raise BadInput(self.source, self.entry_line, None, f"more than {METADATA_ENTRIES_MAX} resources")
        self.feed.lines[self_href] = self.entry_line
        if kind == "UsagePoint":
            self.feed.titles[self_href] = (entry.findtext(ATOM + "title") or "").strip()
        elif kind == "MeterReading":
            usage_point = self_href.split("/MeterReading")[0]
            nested = resource.find(ESPI + "ReadingType")
            self._keep_lines(nested)
            self.feed.meter_readings[self_href] = MeterReadingLinks(self_href, usage_point, related, nested)
        else:
            self._keep_lines(resource)
            self.feed.reading_types[self_href] = resource

    def _keep_lines(self, element: ElementTree.Element | None) -> None:
        if element is not None:
            for inner in element.iter():
                self.feed.lines[inner] = self.lines.get(inner, 0)


def scan_feed(stream: BinaryIO, source: str) -> Feed:
    scanner = _FeedScanner(source)
    scanner.run(stream)
    return scanner.feed


@dataclass
class IntervalReadingEvent:
    """One IntervalReading as it ends: the block's meter-reading href, the block's `interval/start`, if seen
    before the reading, the reading element and the lines of its elements."""

    meter_reading_href: str
    block_start_s_text: str | None
    block_line: int
    reading: ElementTree.Element
    lines: dict[object, int]


class _BlockStreamer(_SafeStream):
    """Second pass: each IntervalReading of each IntervalBlock entry, one at a time, to `on_reading`."""

    def __init__(self, source: str, feed: Feed, on_reading: Callable[[IntervalReadingEvent], None],
                 on_block_end: Callable[[str, str | None, int], None]) -> None:
        super().__init__(source)
        self.feed = feed
        self.on_reading = on_reading
        self.on_block_end = on_block_end
        self.depth = 0
        self.entry_index = -1
        self.block_href = ""
        self.block_line = 0
        self.in_block = False
        self.block_start_s_text: str | None = None
        self.interval_text: list[str] | None = None
        self.interval_depth = 0
        self.reading: ElementTree.TreeBuilder | None = None
        self.lines: dict[object, int] = {}
        self.reading_elements = 0
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.data

    def start(self, name: str, attributes: dict[str, str]) -> None:
        tag = _local(name)
        self.depth += 1
        if self.depth == 2 and tag == ATOM + "entry":
            self.entry_index += 1
        if self.depth == 4 and tag == ESPI + "IntervalBlock" and self.entry_index in self.feed.block_hrefs:
            self.block_href = self.feed.block_hrefs[self.entry_index]
            self.in_block, self.block_line, self.block_start_s_text = True, self.line, None
            return
        if not self.in_block:
            return
        if self.reading is not None:
            self._reading_start(tag, attributes)
        elif self.depth == 5 and tag == ESPI + "IntervalReading":
            self.reading, self.lines, self.reading_elements = ElementTree.TreeBuilder(), {}, 0
            self._reading_start(tag, attributes)
        elif self.depth == 6 and tag == ESPI + "start" and self.interval_depth == 5:
            self.interval_text, self.text_bytes = [], 0
        elif self.depth == 5 and tag == ESPI + "interval":
            self.interval_depth = 5

    def _reading_start(self, tag: str, attributes: dict[str, str]) -> None:
        assert self.reading is not None
        self.reading_elements += 1
        if self.reading_elements > ENTRY_ELEMENTS_MAX:
            raise BadInput(self.source, self.line, None, f"an IntervalReading holds more than {ENTRY_ELEMENTS_MAX} elements")
        self.text_bytes = 0
        self.lines[self.reading.start(tag, attributes)] = self.line

    def end(self, name: str) -> None:
        self.depth -= 1
        if not self.in_block:
            return
        if self.reading is not None:
            element = self.reading.end(_local(name))
            if self.depth == 4:
                self.reading = None
                self.on_reading(IntervalReadingEvent(self.block_href.split("/IntervalBlock")[0],
                                                     self.block_start_s_text, self.block_line, element, self.lines))
        elif self.interval_text is not None and self.depth == 5:
            self.block_start_s_text, self.interval_text = "".join(self.interval_text), None
        elif self.depth == 4 and self.interval_depth == 5:
            self.interval_depth = 0
        elif self.depth == 3:
            self.in_block = False
            self.on_block_end(self.block_href.split("/IntervalBlock")[0], self.block_start_s_text, self.block_line)

    def data(self, text: str) -> None:
        if self.reading is not None:
            self.count_text(text)
            self.reading.data(text)
        elif self.interval_text is not None:
            self.count_text(text)
            self.interval_text.append(text)


def stream_interval_blocks(stream: BinaryIO, source: str, feed: Feed,
                           on_reading: Callable[[IntervalReadingEvent], None],
                           on_block_end: Callable[[str, str | None, int], None]) -> None:
    """Give each IntervalReading to `on_reading` as it ends, and each block's end to `on_block_end`."""
    _BlockStreamer(source, feed, on_reading, on_block_end).run(stream)

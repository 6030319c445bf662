"""ISO-NE's report CSV layout, the one reader for its MIS settlement reports (SR_RTLOCSUM, ...), its ISO Express
hourly LMP reports and its location files (the node registry). Every line starts with a record type: `C` comment
(report name, customer, "Date: ... and Version: ..." stamp, section titles, "End of Report"), `H` header (the
first one after a comment names the columns; a second one right after it gives units or types), `D` data, `T`
trailer. A file may hold several sections, each opened by its own header.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from common.errors import BadInput

RECORD_TYPES = ("C", "H", "D", "T")
LINES_MAX = 1_000_000


@dataclass
class Section:
    header: list[str]
    header_line: int
    comments_before: list[str]
    extra_headers: list[list[str]] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)

    def column(self, name: str, source: str) -> int:
        try:
            return self.header.index(name)
        except ValueError:
            raise BadInput(source, self.header_line, name, f"column missing from the header {self.header}") from None


@dataclass(frozen=True)
class IsoneCsv:
    comments: list[str]
    sections: list[Section]
    trailers: list[tuple[int, list[str]]]


def read_isone_csv(source: str, text: str) -> IsoneCsv:
    """Split the file into sections; a line of another record type, or data before any header, is BadInput."""
    comments: list[str] = []
    pending_comments: list[str] = []
    sections: list[Section] = []
    trailers: list[tuple[int, list[str]]] = []
    current: Section | None = None
    try:
        for line_no, fields in enumerate(csv.reader(text.splitlines()), start=1):
            if line_no > LINES_MAX:
                raise BadInput(source, line_no, None, f"more than {LINES_MAX} lines")
            if not fields or not any(value.strip() for value in fields):
                continue
            kind, values = fields[0].strip().upper(), [value.strip() for value in fields[1:]]
            if kind == "C":
                text_value = ",".join(value for value in values if value)
                comments.append(text_value)
                pending_comments.append(text_value)
            elif kind == "H" and current is not None and not current.rows and not pending_comments:
                current.extra_headers.append(values)
            elif kind == "H":
                current = Section(values, line_no, pending_comments)
                sections.append(current)
                pending_comments = []
            elif kind == "D":
                if current is None:
                    raise BadInput(source, line_no, "record type", "a D (data) row before any H (header) row")
                current.rows.append((line_no, values))
            elif kind == "T":
                trailers.append((line_no, values))
            else:
                raise BadInput(source, line_no, "record type",
                               f"expected one of {', '.join(RECORD_TYPES)} in the first field, got {fields[0]!r}")
    except csv.Error as error:
        raise BadInput(source, None, None, f"not readable as CSV: {error}") from error
    if not sections:
        raise BadInput(source, None, "record type", "no H (header) row: not an ISO-NE report file")
    return IsoneCsv(comments, sections, trailers)

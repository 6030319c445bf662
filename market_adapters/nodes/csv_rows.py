"""CSV rows of a published node list by column name, bounded, with BadInput naming file, line and field."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from common.errors import BadInput

ROWS_MAX = 500_000
NAME_LENGTH_MAX = 200


def csv_rows(source: str, text: str, required: tuple[str, ...],
             header_starts: str | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """CSV rows by column name from the first non-blank line (or the first starting with `header_starts`)."""
    lines = text.lstrip("\ufeff").splitlines()
    start = next((index for index, line in enumerate(lines)
                  if line.strip() and (header_starts is None or line.startswith(header_starts))), len(lines))
    reader = csv.DictReader(io.StringIO("\n".join(lines[start:])))
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    for name in required:
        if name not in header:
            raise BadInput(source, start + 1, name, f"column missing from the header {header}")
    try:
        for index, row in enumerate(reader):
            line_no = start + 2 + index
            if index >= ROWS_MAX:
                raise BadInput(source, line_no, None, f"more than {ROWS_MAX} rows")
            yield line_no, {key: (value or "").strip() for key, value in row.items() if isinstance(key, str)}
    except csv.Error as error:
        raise BadInput(source, None, None, f"not readable as CSV: {error}") from error


def bounded_text(source: str, line: int, field: str, value: str) -> str:
    if not value or len(value) > NAME_LENGTH_MAX:
        raise BadInput(source, line, field, f"must be 1 to {NAME_LENGTH_MAX} characters")
    return value

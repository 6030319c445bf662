"""Read a campus file (TOML) into a checked, normalized document. Pure apart from reading the URDB files it names.

Every problem is collected (not just the first) and reported with the file, the line where it can be found, the
field path (e.g. `meters[3].role`) and the reason. The normalized document is plain JSON (decimals as strings,
instants in UTC), so the same facts always give the same document and the same sha256.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from campus.errors import CampusFileInvalid, Problem
from campus.file_checks import check_document
from campus.file_fields import unknown_field_reason
from campus.file_lines import line_of
from campus.file_model import CampusFile
from common import canonical_json

FILE_BYTES_MAX = 64 * 1024 * 1024
"""A campus of thousands of tenants and tens of thousands of meters fits in a few MB; 64 MiB is a typo guard."""

UrdbReader = Callable[[str], str]
"""Reads a `urdb_file` named in the campus file (path relative to it) and returns its text."""


@dataclass(frozen=True)
class CampusDocument:
    campus_id: str
    document: dict[str, Any]
    sha256_hex: str
    source_name: str
    settlement_point_line: int | None = None
    """Line of `campus.settlement_point` in the file, for the node registry's check (None: not written, or JSON)."""


def read_campus_file(path: Path) -> CampusDocument:
    """Read and check a campus file from disk; `urdb_file` paths are relative to its folder."""
    if path.stat().st_size > FILE_BYTES_MAX:
        raise CampusFileInvalid(str(path), [Problem(None, None, f"larger than {FILE_BYTES_MAX} bytes")])
    folder = path.resolve().parent
    return parse_campus_text(str(path), path.read_bytes(), lambda name: (folder / name).read_text())


def parse_campus_text(source: str, data: bytes, read_urdb: UrdbReader | None) -> CampusDocument:
    """Parse TOML bytes into a checked document. `read_urdb` None (the API) refuses `urdb_file` references."""
    text = _decode(source, data)
    try:
        raw = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        raise CampusFileInvalid(source, [_syntax_problem(error)]) from error
    return campus_document(source, raw, text, read_urdb)


def campus_document(source: str, raw: dict[str, Any], text: str, read_urdb: UrdbReader | None) -> CampusDocument:
    """Validate a parsed file (TOML or the JSON the API takes) and normalize it."""
    try:
        model = CampusFile.model_validate(raw)
    except ValidationError as error:
        problems = [_problem(text, item["loc"], unknown_field_reason(CampusFile, item["loc"])
                             if item["type"] == "extra_forbidden" else item["msg"]) for item in error.errors()]
        raise CampusFileInvalid(source, problems) from None
    document = model.model_dump(mode="json", exclude_none=True)
    findings = check_document(document, read_urdb)
    if findings:
        raise CampusFileInvalid(source, [_problem(text, path, reason) for path, reason in findings])
    document = normalize(document)
    return CampusDocument(document["campus"]["id"], document, canonical_json.sha256_hex(document), Path(source).name,
                          line_of(text, ("campus", "settlement_point")))


# tomllib states the place in its message only ("... (at line 31, column 12)"; `lineno` arrives in Python 3.14).
TOML_PLACE = re.compile(r"^(?P<reason>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$", re.DOTALL)


def _syntax_problem(error: tomllib.TOMLDecodeError) -> Problem:
    """A TOML syntax error on its line, like every other problem: `line 31: not TOML: Illegal character '\\n' (column
    12)`; an unterminated string is the usual cause of an illegal line break."""
    place = TOML_PLACE.match(str(error))
    if place is None:
        return Problem(getattr(error, "lineno", None), None, f"not TOML: {error}")
    return Problem(int(place["line"]), None, f"not TOML: {place['reason']} (column {place['column']})")


def _decode(source: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CampusFileInvalid(source, [Problem(None, None, f"not UTF-8 text: {error.reason}")]) from error


def _problem(text: str, loc: tuple[Any, ...], reason: str) -> Problem:
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    return Problem(line_of(text, loc), field or None, reason)


def normalize(value: Any) -> Any:
    """Decimals as their exact strings, floats through their shortest repr (what the text said), recursively."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    if isinstance(value, list):
        return [normalize(item) for item in value]
    if isinstance(value, dict):
        return {str(key): normalize(item) for key, item in value.items()}
    return str(value)

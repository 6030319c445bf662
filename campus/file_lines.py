"""Find the line of a field path (`("meters", 3, "role")`) in TOML text, so errors can name it.

Best effort over the usual layout of a campus file: `[section]`, `[[array]]` and `[[array.sub]]` headers with
`key = value` lines below them. Returns the header's line when the key is not written out (a missing field), and
None when the path cannot be found (e.g. JSON sent to the API).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?")
KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")


def line_of(text: str, loc: Sequence[Any]) -> int | None:
    """The line of `loc`, else of the nearest enclosing key that is written out: a value inside an inline table
    or array (`versions = [{ ..., terms = { price_usd_per_mwh = nan } }]`) is found on its key's line."""
    if not text or not loc:
        return None
    for length in range(len(loc), min(len(loc), 2) - 1, -1):  # never down to a bare top-level section name
        if length == len(loc) or isinstance(loc[length - 1], str):
            number = _line_of(text, loc[:length])
            if number is not None:
                return number
    return None


def _line_of(text: str, loc: Sequence[Any]) -> int | None:
    lines = text.splitlines()
    header_path: list[str] = []
    occurrences: dict[str, int] = {}
    wanted_header, key = _split(loc)
    header_line: int | None = None
    for number, line in enumerate(lines, start=1):
        match = HEADER.match(line)
        if match:
            name = match.group(2)
            if match.group(1) == "[[":
                occurrences[name] = occurrences.get(name, -1) + 1
                header_path = _array_path(name, occurrences)
            else:
                header_path = name.split(".")
            if header_line is not None and key is not None:
                return header_line  # left the wanted table without finding the key
            header_line = number if header_path == wanted_header else None
            continue
        if header_path == wanted_header:
            if header_line is None:
                header_line = number
            key_match = KEY.match(line)
            if key is None or (key_match and key_match.group(1) == key):
                return number
    return header_line


def _split(loc: Sequence[Any]) -> tuple[list[str], str | None]:
    """(`["meters", "3"]`, "role") for `("meters", 3, "role")`; deeper paths stop at the first plain key."""
    header: list[str] = []
    for index, part in enumerate(loc):
        if isinstance(part, int):
            header.append(str(part))
            continue
        following = loc[index + 1] if index + 1 < len(loc) else None
        if isinstance(following, int) or (index == 0 and following is not None):
            header.append(str(part))
            continue
        return header, str(part)
    return header, None


def _array_path(name: str, occurrences: dict[str, int]) -> list[str]:
    """`meters.devices` inside the 4th `[[meters]]` is meters/3/devices/<n>."""
    parts = name.split(".")
    path: list[str] = []
    for depth in range(len(parts)):
        prefix = ".".join(parts[:depth + 1])
        path.append(parts[depth])
        if depth < len(parts) - 1:
            path.append(str(occurrences.get(prefix, 0)))
    path.append(str(occurrences[name]))
    return path

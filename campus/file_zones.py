"""Time zones written in a campus file: an IANA name, never an abbreviation (pure)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Abbreviations written where an IANA zone belongs. EST and MST are IANA names, but of fixed offsets without
# daylight saving time: a New York or Denver campus written so would bill summer months an hour off.
ZONE_ABBREVIATIONS = {"EST": ("America/New_York", "America/Panama"), "EDT": ("America/New_York", None),
                      "CST": ("America/Chicago", None), "CDT": ("America/Chicago", None),
                      "MST": ("America/Denver", "America/Phoenix"), "MDT": ("America/Denver", None),
                      "PST": ("America/Los_Angeles", None), "PDT": ("America/Los_Angeles", None)}


def zone_problem(name: str, what: str) -> str | None:
    """Why `name` is refused as the zone of `what` (e.g. "the campus's zone"), or None for an IANA zone."""
    if name in ZONE_ABBREVIATIONS:
        zone, fixed = ZONE_ABBREVIATIONS[name]
        return (f"{name!r} is an abbreviation, not {what}: write its IANA name, e.g. {zone!r} "
                "(daylight saving time included)" + (f", or {fixed!r} for a fixed offset all year" if fixed else ""))
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{name!r} is not an IANA time zone (e.g. 'America/New_York', 'America/Chicago', 'Europe/Berlin')"
    return None

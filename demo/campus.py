"""The sample campus: its facts live in `demo/campus.toml` (applied like any campus file); this module keeps
only what the generated site export needs beyond them (each tenant's base load)."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection

from campus.file import CampusDocument, campus_document
from campus.service import apply_in

CAMPUS_FILE = Path(__file__).with_name("campus.toml")
CAMPUS_ID = "demo-campus"
CAMPUS_TIME_ZONE = "America/New_York"
INTERVAL_MINUTES = 15


@dataclass(frozen=True)
class DemoMeter:
    meter_id: str
    role: str
    unit: str
    tenant_id: str | None = None


@dataclass(frozen=True)
class DemoTenant:
    tenant_id: str
    base_load_kw_per_meter: int


TENANTS = (DemoTenant("acme-ai", 6_000), DemoTenant("borealis-labs", 4_000), DemoTenant("cirrus-cloud", 3_000))


@functools.cache
def _document_for(campus_id: str) -> CampusDocument:
    """The demo campus file with its id replaced (tests register their own copies under their own ids)."""

    text = CAMPUS_FILE.read_text()
    raw = tomllib.loads(text, parse_float=Decimal)
    raw["campus"]["id"] = campus_id
    return campus_document(str(CAMPUS_FILE), raw, text, read_urdb=None)


METERS = tuple(DemoMeter(m["id"], m["role"], m["unit"], m.get("tenant"))
               for m in _document_for(CAMPUS_ID).document["meters"])


def register_demo_campus(conn: Connection, campus_id: str = CAMPUS_ID) -> None:
    """Apply the demo campus file (as `wattledger campus apply` does); a second call changes nothing.

    Tests pass their own `campus_id` so that cycles of different test modules never share a business key.
    """

    apply_in(conn, _document_for(campus_id), "demo")

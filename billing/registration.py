"""Register a billing cycle: receive its period's files into the store and record the cycle row.

A cycle reads its campus's period from the meter-data store. Registering one first receives into the store any
files still lying in the period's inbox (and any server-side files named by the caller), exactly as an upload
would be; a refused file stops the start with its file, line, field and reason. `workflows.billing_cycle_start`
registers the cycle, then starts its workflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from billing import repository as repo
from billing.periods import cycle_id_for, period_bounds_utc
from campus import latest_version_number, load_campus, load_meters
from meterdata.service import collect_period_files
from settings import Settings


@dataclass(frozen=True)
class RegisteredCycle:
    cycle_id: str
    stored_uris: list[str]  # the store's files of the period at registration
    meter_count: int  # the campus's meters: the starter scales the steps' timeouts with it
    created: bool = True  # False when the cycle was registered before (a repeated start)


def inbox_folder(settings: Settings, campus_id: str, period: str) -> Path:
    """Where site exports for a campus and month may be dropped (by hand or sftp); received at cycle start."""
    return settings.home_abs / "inbox" / campus_id / period


def register_cycle(engine: Engine, settings: Settings, campus_id: str, period: str) -> RegisteredCycle:
    """Receive the period's inbox into the store, record the cycle row."""
    with engine.begin() as conn:
        campus = load_campus(conn, campus_id)
        campus_version = latest_version_number(conn, campus_id)
        meter_count = len(load_meters(conn, campus_id))
    bounds = period_bounds_utc(period, campus.time_zone)
    folder = inbox_folder(settings, campus_id, period)
    files = collect_period_files(engine, settings.data_root_uri, campus_id, period, bounds, folder)
    cycle_id = cycle_id_for(campus_id, period)
    with engine.begin() as conn:
        # The cycle row keeps the inbox folder: ingest receives what lies there again before each run.
        created = repo.insert_cycle(conn, cycle_id, campus_id, period, bounds, str(folder), campus_version)
    return RegisteredCycle(cycle_id, [file.stored_uri for file in files], meter_count, created)


def forget_unstarted_cycle(engine: Engine, cycle_id: str) -> None:
    """A start that registered the cycle but could not start its workflow leaves no `started` row behind (the
    files it received stay in the store, as after any receipt)."""
    with engine.begin() as conn:
        repo.delete_unstarted_cycle(conn, cycle_id)

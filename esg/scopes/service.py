"""Scope service function: a campus's cycle computed with its meters, stored overrides and claimed certificates."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection

from campus import campus_exists, load_campus, load_meters
from common.errors import NotFound
from esg.certificates import claims_overlapping
from esg.factors import overrides_for_campus
from esg.scopes.cycle import compute_cycle_emissions
from esg.scopes.cycle_emissions import CycleEmissions
from esg.scopes.hourly_energy import MeterRef
from esg.scopes.options import EmissionOptions


def compute_campus_cycle(
    conn: Connection,
    campus_id: str,
    intervals_uri: str,
    campus_egrid_subregion: str | None,
    period_start_utc: datetime,
    period_end_utc: datetime,
    factor_edition: str | None = None,
    options: EmissionOptions | None = None,
) -> CycleEmissions:
    """Compute with the campus's meters, stored overrides and claimed certificates from the database.

    `campus_egrid_subregion` None takes the campus's configured subregion.
    """
    options = options or EmissionOptions()
    subregion = campus_egrid_subregion or _configured_egrid_subregion(conn, campus_id)
    if subregion is None:
        raise NotFound(f"campus {campus_id} has no eGRID subregion configured")
    meters = campus_meters(conn, campus_id)
    if not meters:
        raise NotFound(f"campus {campus_id} has no meters")
    options = replace(
        options,
        overrides=[*options.overrides, *overrides_for_campus(conn, campus_id)],
        claims=[
            *options.claims,
            *claims_overlapping(conn, campus_id, period_start_utc, period_end_utc),
        ],
    )
    return compute_cycle_emissions(
        intervals_uri, meters, subregion, period_start_utc, period_end_utc, factor_edition, options=options
    )


def campus_meters(conn: Connection, campus_id: str) -> list[MeterRef]:
    """The campus's meters as emissions see them (read through the campus package, the one reader)."""
    return [MeterRef(meter.meter_id, str(meter.role), meter.tenant_id) for meter in load_meters(conn, campus_id)]


def _configured_egrid_subregion(conn: Connection, campus_id: str) -> str | None:
    return load_campus(conn, campus_id).egrid_subregion if campus_exists(conn, campus_id) else None

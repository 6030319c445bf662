"""Scope service functions: a campus's cycle computed with its campus-file settings, the market-rate library, its
stored overrides and claimed certificates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection

from campus import (
    campus_exists,
    emissions_enabled,
    esg_settings,
    load_campus,
    load_meters,
    load_storage_assets,
)
from common.errors import NotFound
from esg.certificates import claims_overlapping
from esg.factors import HourlyGridIntensity, load_factor_library, market_rates, overrides_for_campus
from esg.scopes.campus_settings import CampusEmissionSettings, campus_emission_settings
from esg.scopes.cycle import compute_cycle_emissions
from esg.scopes.cycle_emissions import CycleEmissions
from esg.scopes.hourly_energy import MeterRef
from esg.scopes.options import EmissionOptions
from esg.scopes.shared_load import allocate_shared_load
from esg.scopes.storage_carry import carried_pools
from settlement import previous_storage_pools
from settlement.storage_hours import reported_stored_wh_end
from settlement.storage_pool import Pool


def load_campus_emission_settings(
    conn: Connection, campus_id: str, zone: str, period_start_utc: datetime, period_end_utc: datetime
) -> CampusEmissionSettings:
    """The cycle's emission settings: the campus file's `[esg]` section and meter flags, the market-rate rows
    they select, the campus's stored factor overrides, the claims overlapping the period, and its batteries with
    the pools the previous period left (read as settlement reads them)."""
    time_zone = load_campus(conn, campus_id).time_zone if campus_exists(conn, campus_id) else "UTC"
    settings = campus_emission_settings(
        load_meters(conn, campus_id), esg_settings(conn, campus_id), market_rates(conn), zone,
        (period_start_utc, period_end_utc), load_factor_library(), time_zone,
    )
    options = replace(
        settings.options,
        overrides=[*settings.options.overrides, *overrides_for_campus(conn, campus_id)],
        claims=[*settings.options.claims, *claims_overlapping(conn, campus_id, period_start_utc, period_end_utc)],
    )
    return replace(settings, options=with_storage(conn, campus_id, period_start_utc, options))


def with_storage(conn: Connection, campus_id: str, period_start_utc: datetime, options: EmissionOptions
                 ) -> EmissionOptions:
    """`options` with the campus's batteries and their opening pools, unless the caller gave batteries."""
    if options.storage_assets:
        return options
    assets = tuple(load_storage_assets(conn, campus_id)) if campus_exists(conn, campus_id) else ()
    if not assets:
        return options
    return replace(options, storage_assets=assets,
                   storage_openings=previous_storage_pools(conn, campus_id, period_start_utc))


def compute_campus_cycle(
    conn: Connection,
    campus_id: str,
    intervals_uri: str,
    campus_egrid_subregion: str | None,
    period_start_utc: datetime,
    period_end_utc: datetime,
    factor_edition: str | None = None,
    options: EmissionOptions | None = None,
    *,
    gwp_set: str | None = None,
    shared_load_billed_wh: Mapping[str, int] | None = None,
    grid_intensity: HourlyGridIntensity | None = None,
) -> CycleEmissions:
    """Compute with the campus's meters, stored overrides and claimed certificates from the database.

    `campus_egrid_subregion` None takes the campus's configured subregion. `options` None takes the campus
    file's settings (as the cycle's settle step does; `gwp_set` then overrides the file's set), given options
    are used as they are, with the stored overrides and claims added. `factor_edition` None takes the file's
    pinned edition, else the one valid at the period's midpoint. `shared_load_billed_wh` (tenant -> shared Wh
    billed, from the settlement) moves the shared loads' emissions to those tenants when the file says so.
    `grid_intensity` (an hourly series) replaces the eGRID annual rate for location-based Scope 2.
    """
    subregion = campus_egrid_subregion or _configured_egrid_subregion(conn, campus_id)
    if subregion is None:
        raise NotFound(f"campus {campus_id} has no eGRID subregion configured")
    meters = campus_meters(conn, campus_id)
    if not meters:
        raise NotFound(f"campus {campus_id} has no meters")
    follows_billing = False
    if options is None:
        settings = load_campus_emission_settings(conn, campus_id, subregion, period_start_utc, period_end_utc)
        options = settings.options if gwp_set is None else replace(settings.options, gwp_set=gwp_set)
        factor_edition = factor_edition or settings.factor_edition
        follows_billing = settings.shared_load_follows_billing
    else:
        options = replace(
            options,
            overrides=[*options.overrides, *overrides_for_campus(conn, campus_id)],
            claims=[*options.claims, *claims_overlapping(conn, campus_id, period_start_utc, period_end_utc)],
        )
        options = with_storage(conn, campus_id, period_start_utc, options)
    if grid_intensity is not None:
        options = replace(options, grid_intensity=grid_intensity)
    if options.storage_assets and not options.storage_stored_wh_end:
        # The batteries' reported state of charge at the period's end, as settlement reads it: both keep one pool.
        reported = reported_stored_wh_end(options.storage_assets, intervals_uri, period_end_utc)
        options = replace(options, storage_stored_wh_end=reported) if reported else options
    emissions = compute_cycle_emissions(
        intervals_uri, meters, subregion, period_start_utc, period_end_utc, factor_edition, options=options
    )
    if follows_billing and shared_load_billed_wh:
        emissions = allocate_shared_load(emissions, shared_load_billed_wh)
    return emissions


def campus_meters(conn: Connection, campus_id: str) -> list[MeterRef]:
    """The campus's meters as emissions see them (read through the campus package, the one reader)."""
    return [MeterRef(meter.meter_id, str(meter.role), meter.tenant_id) for meter in load_meters(conn, campus_id)]


def _configured_egrid_subregion(conn: Connection, campus_id: str) -> str | None:
    return load_campus(conn, campus_id).egrid_subregion if campus_exists(conn, campus_id) else None


def carried_storage_pools(conn: Connection, campus_id: str, intervals_uri: str, period_start_utc: datetime,
                          period_end_utc: datetime) -> dict[str, Pool]:
    """The batteries' closing pools with their grams, for a settlement recorded outside the cycle's settle step (a
    correction's revision), so the next period opens from them as it would from the cycle's; none when the campus
    has no battery or computes no emissions."""
    if not campus_exists(conn, campus_id) or not load_storage_assets(conn, campus_id):
        return {}
    if not emissions_enabled(conn, campus_id) or _configured_egrid_subregion(conn, campus_id) is None:
        return {}
    emissions = compute_campus_cycle(conn, campus_id, intervals_uri, None, period_start_utc, period_end_utc)
    return carried_pools(emissions.storage)

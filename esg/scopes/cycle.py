"""Emissions of one billing cycle: Scope 1, location- and market-based Scope 2, Scope 3 category 3, per tenant.

Rules (GHG Protocol Corporate Standard and Scope 2 Guidance, as summarised in docs/esg.md):
- Scope 1 is the operator's fuel burnt on site, all of it, exports included (reported, never netted).
- Each hour, the emissions of on-site generation are split: the exported share stays with the operator, the
  rest goes to consumers by metered Wh; grid emissions go to consumers by metered Wh. A tenant's Scope 2 is its
  share of the operator's Scope 1 (direct line, same in both methods) plus its grid share.
- Per-gas masses are kept; CO2e uses the GWP set named in the options (AR5 by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, localcontext

from common.timeutil import require_utc
from esg.errors import EmissionsInputInvalid
from esg.factors import FactorEdition, FactorLibrary, load_factor_library
from esg.scopes.allocation import tenant_party
from esg.scopes.campus_hours import build_campus_hours, consuming_parties, validate_meters
from esg.scopes.cycle_context import build_context
from esg.scopes.cycle_emissions import CycleEmissions
from esg.scopes.cycle_result import assemble_result
from esg.scopes.hour_rules import Accumulator, add_hour
from esg.scopes.hourly_energy import HourlyEnergy, MeterRef, read_hourly_energy
from esg.scopes.options import EmissionOptions
from esg.scopes.scope2_market import choose_fallback_rate, market_scope2
from esg.scopes.shared_services import (
    CATEGORIES,
    SharedServicesOutcome,
    shared_services_emissions,
)
from intervals import MeterIntervals

DECIMAL_PRECISION = 60  # far beyond the microgram weights; only the final half-even rounding loses digits


def compute_cycle_emissions(
    intervals: str | MeterIntervals,
    meters: Sequence[MeterRef],
    campus_egrid_subregion: str,
    period_start_utc: datetime,
    period_end_utc: datetime,
    factor_edition: str | None = None,
    *,
    options: EmissionOptions | None = None,
    library: FactorLibrary | None = None,
) -> CycleEmissions:
    """Read the interval Parquet (unless `intervals` was read already) and compute the cycle's emissions (pure
    apart from reading that file).

    `factor_edition` None picks the library edition valid at the period's midpoint (its reporting year).
    """
    period_start_utc = require_utc(period_start_utc, "period_start_utc")
    period_end_utc = require_utc(period_end_utc, "period_end_utc")
    if period_end_utc <= period_start_utc:
        raise EmissionsInputInvalid("period", None, "period_end_utc", "the period is empty")
    library = library or load_factor_library()
    # The period's midpoint names its reporting year whatever the campus's time zone: a local January that
    # starts on 31 December UTC still belongs to the new year's edition.
    midpoint_utc = period_start_utc + (period_end_utc - period_start_utc) / 2
    edition = library.edition(factor_edition) if factor_edition else library.edition_for(midpoint_utc)
    meter_ids = frozenset(meter.meter_id for meter in meters)
    hourly = read_hourly_energy(intervals, meter_ids, period_start_utc, period_end_utc)
    return emissions_from_hourly(
        hourly,
        meters,
        campus_egrid_subregion,
        (period_start_utc, period_end_utc),
        edition,
        options or EmissionOptions(),
        library,
    )


def emissions_from_hourly(
    hourly: HourlyEnergy,
    meters: Sequence[MeterRef],
    campus_egrid_subregion: str,
    period: tuple[datetime, datetime],
    edition: FactorEdition,
    options: EmissionOptions,
    library: FactorLibrary | None = None,
) -> CycleEmissions:
    """The pure calculation over hourly meter energy; see the module docstring for the rules."""
    validate_meters(
        meters, options.heat_rate_mmbtu_per_mwh_by_meter, options.carbon_free_generation_meter_ids
    )
    check_edition_covers(edition, period)
    with localcontext() as decimal_context:
        decimal_context.prec = DECIMAL_PRECISION
        context = build_context(edition, options, meters, campus_egrid_subregion, period[0])
        campus_hours = build_campus_hours(
            hourly, meters, options.heat_rate_mmbtu_per_mwh_by_meter, options.carbon_free_generation_meter_ids,
            options.storage_assets,
        )
        totals = Accumulator(consuming_parties(meters, options.storage_assets))
        for campus_hour in campus_hours:
            add_hour(totals, context, campus_hour)
        fallback = choose_fallback_rate(
            options.market_rates, campus_egrid_subregion, context.grid_average_g_per_mwh(), context.grid.ref
        )
        fallback_by_party = {
            tenant_party(rate.tenant_id): choose_fallback_rate(
                options.market_rates, campus_egrid_subregion, context.grid_average_g_per_mwh(), context.grid.ref,
                rate.tenant_id,
            )
            for rate in options.market_rates
            if rate.tenant_id is not None
        }
        market = market_scope2(
            totals.grid_wh,
            options.claims,
            campus_egrid_subregion,
            period,
            fallback,
            options.deliverable_zones,
            fallback_by_party,
        )
        totals.add("scope2_market", sum(market.grid_market_g.values(), Decimal(0)), market.grid_market_g)
        totals.add(
            "scope2_market_hourly",
            sum(market.grid_market_hourly_g.values(), Decimal(0)),
            market.grid_market_hourly_g,
        )
        shared = shared_services_emissions(
            options.shared_services, library or load_factor_library(), edition, options.gwp_set
        )
        _add_shared_services(totals, shared)
        tenant_ids = sorted({str(meter.tenant_id) for meter in meters if meter.tenant_id is not None})
        return assemble_result(
            hourly, meters, campus_hours, context, totals, market, fallback, shared, tenant_ids, period
        )


def check_edition_covers(edition: FactorEdition, period: tuple[datetime, datetime]) -> None:
    """An edition applies only to the reporting year it is valid for: the one holding the period's midpoint (the
    rule that picks an edition when none is named, so a local January starting on 31 December UTC is inside)."""
    midpoint_utc = period[0] + (period[1] - period[0]) / 2
    if not edition.covers(midpoint_utc.date()):
        valid_to = edition.valid_to.isoformat() if edition.valid_to else "open"
        raise EmissionsInputInvalid(
            f"factor edition {edition.edition_id}", None, "factor_edition",
            f"valid {edition.valid_from.isoformat()} to {valid_to}, which does not cover the period "
            f"{period[0].isoformat()} to {period[1].isoformat()}; name an edition valid for it",
        )


def _add_shared_services(totals: Accumulator, shared: SharedServicesOutcome) -> None:
    for category in CATEGORIES:
        totals.add(
            f"shared_{category}",
            shared.total_by_category.get(category, Decimal(0)),
            shared.shares_by_category.get(category, {}),
        )
    if shared.gases_g:
        totals.gases["scope1_shared_services"] = dict(shared.gases_g)


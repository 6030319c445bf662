"""Options of the cycle calculation beyond the first-deliverable arguments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from campus import StorageAsset
from esg.certificates import CertificateClaim, CertificateLot, check_claims_within_lots
from esg.factors import FactorOverride, HourlyGridIntensity
from esg.scopes.scope2_market import MarketRate
from esg.scopes.scope3 import Scope3Conventions
from esg.scopes.shared_services import SharedServiceSource
from settlement.storage_pool import Pool

DEFAULT_FUEL = "natural-gas"


@dataclass(frozen=True)
class EmissionOptions:
    """Everything beyond the first-deliverable arguments; the defaults give the plain metered calculation."""

    gwp_set: str = "AR5"
    fuel_type_by_meter: Mapping[str, str] = field(default_factory=dict)
    overrides: Sequence[FactorOverride] = ()
    heat_rate_mmbtu_per_mwh_by_meter: Mapping[str, Decimal] = field(default_factory=dict)
    # Fuel meters whose Wh thermal was converted from scf at the edition's default heat content; a
    # `supplier_heating_value` override on them rescales the heat input by supplier / default.
    volume_metered_fuel_meter_ids: frozenset[str] = frozenset()
    carbon_free_generation_meter_ids: frozenset[str] = frozenset()
    grid_intensity: HourlyGridIntensity | None = None
    claims: Sequence[tuple[CertificateLot, CertificateClaim]] = ()
    market_rates: Sequence[MarketRate] = ()
    # Registry zone names that deliver to the campus's market (e.g. "ERCOT" for ERCT), declared, never guessed.
    deliverable_zones: frozenset[str] = frozenset()
    scope3: Scope3Conventions = field(default_factory=Scope3Conventions)
    shared_services: Sequence[SharedServiceSource] = ()
    # Batteries whose charging grams are carried to the energy's takers (esg.scopes.storage_carry), and the pool each
    # opens with (asset id -> what the previous period left). Without them storage meters are not read.
    storage_assets: Sequence[StorageAsset] = ()
    storage_openings: Mapping[str, Pool] = field(default_factory=dict)
    # Asset id -> the state of charge reported at the period's end (settlement.storage_hours.reported_stored_wh_end):
    # the stored end the pool keeps, as in settlement; an asset without one takes the estimate.
    storage_stored_wh_end: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Every path into the calculation, the registry's and a direct list alike: no lot gives more than it holds.
        check_claims_within_lots(self.claims)

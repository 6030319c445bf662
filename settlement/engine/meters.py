"""Campus facts as the engine holds them: meters (roles are `campus.MeterRole` values) and v0 contracts.

Campus facts are read through the `campus` package only; the service turns each `campus.Meter` into the few
fields the engine uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from campus import Meter


@dataclass(frozen=True)
class MeterRef:
    """`role` is a `campus.MeterRole` (a StrEnum, so its plain string value compares equal)."""

    meter_id: str
    role: str
    tenant_id: str | None
    interval_minutes: int
    rated_kw: int | None = None

    @classmethod
    def of(cls, meter: Meter) -> MeterRef:
        return cls(meter.meter_id, meter.role, meter.tenant_id, meter.interval_minutes, meter.rated_kw)


@dataclass(frozen=True)
class ContractV0:
    """Core table `contract`: a tenant's on-site supply price and the grid price, one row per version."""

    contract_id: int
    tenant_id: str
    version: int
    effective_from: date
    supply_price_usd_per_mwh: Decimal
    grid_price_usd_per_mwh: Decimal

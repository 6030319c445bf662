"""Campus facts the engine needs, as plain values: meters with their roles, and contract v0 versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

ROLE_GENERATION = "generation"
ROLE_FUEL = "fuel"
ROLE_GRID_IMPORT = "grid_import"
ROLE_EXPORT = "export"
ROLE_TENANT = "tenant_consumption"
ROLE_SHARED = "shared_consumption"


@dataclass(frozen=True)
class MeterRef:
    meter_id: str
    role: str
    tenant_id: str | None
    interval_minutes: int
    rated_kw: int | None = None


@dataclass(frozen=True)
class ContractV0:
    """Core table `contract`: a tenant's on-site supply price and the grid price, one row per version."""

    contract_id: int
    tenant_id: str
    version: int
    effective_from: date
    supply_price_usd_per_mwh: Decimal
    grid_price_usd_per_mwh: Decimal

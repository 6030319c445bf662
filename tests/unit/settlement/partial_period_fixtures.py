"""A small hourly campus in September 2026 (Chicago, 30 days, no DST change) for the partial-period tests:
meters, contract builders, rows in memory, and the calls that settle them the way `settle_cycle` does."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from campus import Tenant
from common.canonical_json import sha256_hex
from intervals import MeterIntervals
from settlement.contracts import ContractVersion, FixedPriceContract
from settlement.engine import CampusSetup, MeterRef, contract_segments, settle_campus_rows
from settlement.types import SettlementResult

CHICAGO = ZoneInfo("America/Chicago")
SEPTEMBER_START_UTC = datetime(2026, 9, 1, 5, tzinfo=UTC)  # 00:00 CDT
SEPTEMBER_END_UTC = datetime(2026, 10, 1, 5, tzinfo=UTC)
METERS = [MeterRef("A1", "tenant_consumption", "alpha", 60), MeterRef("B1", "tenant_consumption", "beta", 60),
          MeterRef("G1", "tenant_consumption", "gamma", 60), MeterRef("COOL", "shared_consumption", None, 60),
          MeterRef("FUEL", "fuel", None, 60), MeterRef("GRID1", "grid_import", None, 60)]
OFF_PEAK_ONLY = [[0] * 24 for _ in range(12)]
_ids = itertools.count(1000)


def september(day: int, local_hour: int) -> datetime:
    """The UTC start of a local (CDT, UTC-5) hour in September 2026."""
    return datetime(2026, 9, day, local_hour, tzinfo=CHICAGO).astimezone(UTC)


def urdb(energy_rate: str, **extra: Any) -> dict[str, Any]:
    """One flat energy rate ($/kWh) all month, plus whatever demand and fixed charges `extra` names."""
    return {"name": "Flat", "energyratestructure": [[{"rate": energy_rate}]],
            "energyweekdayschedule": OFF_PEAK_ONLY, "energyweekendschedule": OFF_PEAK_ONLY, **extra}


def contract(key: str, kind: str, tenant_id: str | None, effective_from: date, terms: dict[str, Any],
             version: int = 1) -> ContractVersion:
    return ContractVersion(next(_ids), key, version, kind, tenant_id, effective_from, terms,
                           sha256_hex(terms))


def fixed_price(tenant_id: str, version: int, effective_from: date, price_usd_per_mwh: str) -> FixedPriceContract:
    return FixedPriceContract(next(_ids), tenant_id, version, effective_from, Decimal(price_usd_per_mwh))


def rows(energy: Sequence[tuple[str, datetime, int]]) -> MeterIntervals:
    table = pa.table({
        "meter_id": [meter_id for meter_id, _, _ in energy],
        "channel": ["kwh_delivered"] * len(energy),
        "interval_start_utc": pa.array([start for _, start, _ in energy], pa.timestamp("us", tz="UTC")),
        "energy_wh": pa.array([wh for _, _, wh in energy], pa.int64()),
    })
    return MeterIntervals("september.parquet", "0" * 64, table)


def setup_for(history: Sequence[ContractVersion], history_fixed: Sequence[FixedPriceContract],
              tenants: Sequence[Tenant] = ()) -> CampusSetup:
    """What `settlement.service.load_setup` builds from the database, from the given facts."""
    segments = contract_segments(SEPTEMBER_START_UTC, SEPTEMBER_END_UTC, CHICAGO, history, history_fixed)
    tenant_ids = sorted({t.tenant_id for t in tenants} | {str(m.tenant_id) for m in METERS if m.tenant_id})
    return CampusSetup("sept", CHICAGO, METERS, tenant_ids, list(segments[0].contracts),
                       segments[0].fixed_prices, tuple(tenants), tuple(segments))


def settle_full(setup: CampusSetup, energy: Sequence[tuple[str, datetime, int]]) -> SettlementResult:
    return settle_campus_rows(setup, SEPTEMBER_START_UTC, SEPTEMBER_END_UTC, rows(energy), {})



def micros(amount_usd: Decimal) -> int:
    """The one rounding of a line, done independently of the engine."""
    return int((amount_usd * 1_000_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def energy_micros(energy_wh: int, price_usd_per_mwh: str) -> int:
    return micros(Decimal(energy_wh) / 1_000_000 * Decimal(price_usd_per_mwh))


def by_clause(result: SettlementResult, tenant_id: str) -> list[tuple[str, int, int]]:
    return [(line.clause, line.quantity_wh, line.amount_usd_micros) for line in result.lines
            if line.tenant_id == tenant_id]


def days_after(day: date, count: int) -> date:
    return day + timedelta(days=count)

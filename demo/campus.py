"""The sample campus: a gas turbine, a solar PPA, grid import and export, three tenants, shared cooling."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, text

CAMPUS_ID = "demo-campus"
CAMPUS_NAME = "Hudson Valley AI Campus"
CAMPUS_TIME_ZONE = "America/New_York"
CAMPUS_ISO = "NYISO"
CAMPUS_EGRID_SUBREGION = "NYUP"
INTERVAL_MINUTES = 15


@dataclass(frozen=True)
class DemoMeter:
    meter_id: str
    role: str
    unit: str
    tenant_id: str | None = None
    rated_kw: int | None = None
    iso_meter_id: str | None = None


@dataclass(frozen=True)
class DemoTenant:
    tenant_id: str
    name: str
    supply_price_usd_per_mwh: Decimal
    base_load_kw_per_meter: int


TENANTS = (
    DemoTenant("acme-ai", "Acme AI Inc.", Decimal("62.50"), 6_000),
    DemoTenant("borealis-labs", "Borealis Labs LLC", Decimal("58.75"), 4_000),
    DemoTenant("cirrus-cloud", "Cirrus Cloud Co.", Decimal("65.00"), 3_000),
)
GRID_PRICE_USD_PER_MWH = Decimal("48.00")

METERS = (
    DemoMeter("GT1-GEN", "generation", "kWh", rated_kw=32_000, iso_meter_id="323701"),
    DemoMeter("GT1-FUEL", "fuel", "MMBtu"),
    DemoMeter("PV1-GEN", "generation", "kWh", rated_kw=8_000, iso_meter_id="323702"),
    DemoMeter("GRID-IMP", "grid_import", "kWh", rated_kw=40_000, iso_meter_id="323703"),
    DemoMeter("GRID-EXP", "export", "kWh", rated_kw=40_000, iso_meter_id="323704"),
    DemoMeter("COOL-SHARED", "shared_consumption", "kWh", rated_kw=12_000),
    *(
        DemoMeter(f"{tenant.tenant_id.split('-')[0].upper()}-{suffix}", "tenant_consumption", "kWh",
                  tenant_id=tenant.tenant_id, rated_kw=tenant.base_load_kw_per_meter * 2)
        for tenant in TENANTS
        for suffix in ("A", "B")
    ),
)


def register_demo_campus(conn: Connection, campus_id: str = CAMPUS_ID) -> None:
    """Insert the campus, tenants, meters and v0 contracts once; a second call changes nothing.

    Tests pass their own `campus_id` so that cycles of different test modules never share a business key.
    """
    conn.execute(
        text(
            "INSERT INTO campus (campus_id, name, time_zone, iso, egrid_subregion)"
            " VALUES (:c, :n, :tz, :iso, :egrid) ON CONFLICT DO NOTHING"
        ),
        {"c": campus_id, "n": CAMPUS_NAME, "tz": CAMPUS_TIME_ZONE, "iso": CAMPUS_ISO,
         "egrid": CAMPUS_EGRID_SUBREGION},
    )
    for tenant in TENANTS:
        conn.execute(
            text("INSERT INTO tenant (campus_id, tenant_id, name) VALUES (:c, :t, :n) ON CONFLICT DO NOTHING"),
            {"c": campus_id, "t": tenant.tenant_id, "n": tenant.name},
        )
        conn.execute(
            text(
                "INSERT INTO contract (campus_id, tenant_id, version, effective_from, supply_price_usd_per_mwh,"
                " grid_price_usd_per_mwh) VALUES (:c, :t, 1, DATE '2026-01-01', :supply, :grid)"
                " ON CONFLICT DO NOTHING"
            ),
            {"c": campus_id, "t": tenant.tenant_id, "supply": tenant.supply_price_usd_per_mwh,
             "grid": GRID_PRICE_USD_PER_MWH},
        )
    for meter in METERS:
        conn.execute(
            text(
                "INSERT INTO meter (campus_id, meter_id, role, unit, interval_minutes, tenant_id, rated_kw,"
                " iso_meter_id) VALUES (:c, :m, :role, :unit, :minutes, :t, :rated, :iso) ON CONFLICT DO NOTHING"
            ),
            {"c": campus_id, "m": meter.meter_id, "role": meter.role, "unit": meter.unit,
             "minutes": INTERVAL_MINUTES, "t": meter.tenant_id, "rated": meter.rated_kw, "iso": meter.iso_meter_id},
        )

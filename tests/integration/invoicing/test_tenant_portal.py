"""The tenant portal over the real app and database: a tenant sees its own invoices, credit notes, usage charts
(axes, kWh, local time) and downloads (CSV, Parquet) on its bound campuses only; anonymous visitors are sent to
sign in, staff are refused, and another tenant's or another campus's cycle does not exist."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, text

from api.auth import mint_token
from invoicing import issue_invoices
from meterdata.schema import INTERVAL_SCHEMA
from tests.integration.invoicing.conftest import (
    DEFAULT_LINES,
    AppUnderTest,
    SeededCycle,
    asgi_client,
    bearer,
    seed_cycle,
)

ZONE = "America/Chicago"


def _intervals_file(path: Path, meters: dict[str, int]) -> str:
    """Two days of hourly intervals from 2026-01-01 06:00 UTC (local midnight), each meter a constant Wh."""
    rows: dict[str, list[Any]] = {name: [] for name in INTERVAL_SCHEMA.names}
    start = datetime(2026, 1, 1, 6, tzinfo=UTC)
    for meter_id, energy_wh in meters.items():
        for hour in range(48):
            for name, value in (("meter_id", meter_id), ("channel", "kwh"), ("interval_minutes", 60),
                                ("interval_start_utc", start + timedelta(hours=hour)), ("energy_wh", energy_wh),
                                ("quality", 0), ("source_sha256", "ab" * 32), ("source_row", hour)):
                rows[name].append(value)
    pq.write_table(pa.table(rows, schema=INTERVAL_SCHEMA), path)
    return str(path)


@pytest.fixture
def portal_cycle(engine: Engine, app_under_test: AppUnderTest, issuer: str, tmp_path: Path) -> SeededCycle:
    """A Chicago campus with two tenants, each one meter, a validated interval file and issued invoices."""
    seeded = seed_cycle(engine, DEFAULT_LINES)
    meters = {f"M0-{seeded.campus_id}": 1_500, f"M1-{seeded.campus_id}": 9_000}
    uri = _intervals_file(tmp_path / "validated.parquet", meters)
    with engine.begin() as conn:
        conn.execute(text("UPDATE campus SET time_zone = :z WHERE campus_id = :c"), {"z": ZONE, "c": seeded.campus_id})
        for (meter_id, _), tenant_id in zip(meters.items(), seeded.tenant_ids, strict=True):
            conn.execute(text("INSERT INTO meter (campus_id, meter_id, role, unit, interval_minutes, tenant_id) "
                              "VALUES (:c, :m, 'tenant_consumption', 'kWh', 60, :t)"),
                         {"c": seeded.campus_id, "m": meter_id, "t": tenant_id})
        conn.execute(text("INSERT INTO cycle_step (cycle_id, step, result_json) VALUES (:id, 'validate', "
                          "CAST(:r AS jsonb))"), {"id": seeded.cycle_id, "r": json.dumps({"validated_uri": uri})})
        issue_invoices(conn, seeded.cycle_id, issuer, app_under_test.settings.signing_key_path,
                       app_under_test.documents_root)
    return seeded


def _tenant(app_under_test: AppUnderTest, tenant_id: str, campus_ids: list[str]) -> dict[str, str]:
    return bearer(mint_token(app_under_test.settings, f"portal-{tenant_id}", ["tenant"], tenant_id,
                             timedelta(minutes=5), campus_ids))


async def test_a_tenant_sees_its_own_documents_and_usage_only(app_under_test: AppUnderTest,
                                                              portal_cycle: SeededCycle) -> None:
    own, other = portal_cycle.tenant_ids
    headers = _tenant(app_under_test, own, [portal_cycle.campus_id])
    async with asgi_client(app_under_test) as client:
        page = await client.get("/tenant/", headers=headers)
        assert page.status_code == 200, page.text
        assert own in page.text and other not in page.text
        assert page.text.count('.pdf" download>Download</a>') == 1
        invoice_link = page.text.split('href="/invoices/')[1].split('"')[0]
        pdf = await client.get(f"/invoices/{invoice_link}", headers=headers)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

        usage = await client.get(f"/tenant/usage/{portal_cycle.cycle_id}", headers=headers)
        assert usage.status_code == 200, usage.text
        for expected in ("Energy (kWh)", f"Local day ({ZONE})", f"Local time ({ZONE})", "36.0", "01-01",
                         "Total 72.0 kWh over 48 intervals"):
            assert expected in usage.text, expected

        csv = await client.get(f"/tenant/usage/{portal_cycle.cycle_id}/intervals.csv", headers=headers)
        lines = csv.text.splitlines()
        assert lines[0] == "interval_start_utc,interval_start_local,energy_wh"
        assert lines[1] == "2026-01-01T06:00:00Z,2026-01-01T00:00-06:00,1500" and len(lines) == 49
        parquet = await client.get(f"/tenant/usage/{portal_cycle.cycle_id}/intervals.parquet", headers=headers)
        table = pq.read_table(io.BytesIO(parquet.content))
        assert table.num_rows == 48 and set(table.column("energy_wh").to_pylist()) == {1500}


async def test_other_campuses_roles_and_anonymous_visitors_are_kept_out(
        app_under_test: AppUnderTest, portal_cycle: SeededCycle) -> None:
    own, _ = portal_cycle.tenant_ids
    elsewhere = _tenant(app_under_test, own, ["some-other-campus"])
    async with asgi_client(app_under_test) as client:
        page = await client.get("/tenant/", headers=elsewhere)
        assert page.status_code == 200 and "No invoices yet." in page.text
        for path in (f"/tenant/usage/{portal_cycle.cycle_id}", f"/tenant/usage/{portal_cycle.cycle_id}/intervals.csv"):
            assert (await client.get(path, headers=elsewhere)).status_code == 404, path
        anonymous = await client.get("/tenant/")
        assert anonymous.status_code == 303 and "login" in anonymous.headers["location"]
        staff = bearer(mint_token(app_under_test.settings, "fiona", ["finance"], None, timedelta(minutes=5)))
        assert (await client.get("/tenant/", headers=staff)).status_code == 403
        ledger = await client.get("/tenant/ledger", headers=elsewhere)
        assert ledger.status_code == 200 and "ledger-incomplete" in ledger.text

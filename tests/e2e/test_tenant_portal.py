"""End to end in headless Chromium: a tenant billed by two campuses signs in with its user name and password on the
shared sign-in page, lands on its portal and sees its own invoices from both campuses and nothing of the tenant it
shares a campus with; it opens a usage page (charts in local time, CSV and Parquet downloads), downloads an invoice
PDF, and the pages fit a 390 px phone. A tenant bound to one campus does not see the other campus's invoice.
Screenshots are kept under tests/e2e/artifacts/ (ignored by git).

Path: browser → uvicorn (the app from `create_app`, no Temporal: the portal only reads) → PostgreSQL. Invoices
are issued by `invoicing.issue_invoices` over seeded settlement lines, as in the invoicing integration tests.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, text

from tests.e2e.conftest import ARTIFACTS, CHROMIUM_PATH, require_browser, serving

PASSWORD = "correct horse battery staple"
ZONE = "America/Chicago"


@dataclass(frozen=True)
class Portal:
    base_url: str
    acme: str
    globex: str
    north: str
    south: str
    invoices: dict[tuple[str, str], str]  # (campus, tenant) -> invoice id


def _intervals_file(path: Path, meters: dict[str, int]) -> str:
    from meterdata.schema import INTERVAL_SCHEMA

    rows: dict[str, list[Any]] = {name: [] for name in INTERVAL_SCHEMA.names}
    start = datetime(2026, 1, 1, 6, tzinfo=UTC)  # local midnight in Chicago
    for meter_id, energy_wh in meters.items():
        for hour in range(72):
            for name, value in (("meter_id", meter_id), ("channel", "kwh"), ("interval_minutes", 60),
                                ("interval_start_utc", start + timedelta(hours=hour)),
                                ("energy_wh", energy_wh + (hour % 24) * 50), ("quality", 0),
                                ("source_sha256", "ab" * 32), ("source_row", hour)):
                rows[name].append(value)
    pq.write_table(pa.table(rows, schema=INTERVAL_SCHEMA), path)
    return str(path)


def _seed(engine: Engine, home: Path, signing_key_path: Path, documents_root: str) -> Portal:
    """Campuses north and south; acme is billed by both, globex by north only; January 2026 invoiced on both."""
    from accounts import add_user
    from invoicing import issue_invoices

    suffix = uuid.uuid4().hex[:6]
    north, south, acme, globex = f"north-{suffix}", f"south-{suffix}", f"acme-{suffix}", f"globex-{suffix}"
    invoices: dict[tuple[str, str], str] = {}
    with engine.begin() as conn:
        for campus, tenants in ((north, (acme, globex)), (south, (acme,))):
            cycle_id = f"cycle:{campus}:2026-01"
            conn.execute(text("INSERT INTO campus (campus_id, name, time_zone, iso) VALUES (:c, :n, :z, 'ERCOT')"),
                         {"c": campus, "n": campus.split("-")[0].title() + " Campus", "z": ZONE})
            conn.execute(text(
                "INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc, period_end_utc, status, "
                "workflow_id, input_uri) VALUES (:id, :c, '2026-01', :s, :e, 'approved', :id, 'file:///in')"),
                {"id": cycle_id, "c": campus, "s": datetime(2026, 1, 1, 6, tzinfo=UTC),
                 "e": datetime(2026, 2, 1, 6, tzinfo=UTC)})
            meters = {}
            for line_no, tenant in enumerate(tenants, start=1):
                conn.execute(text("INSERT INTO tenant (campus_id, tenant_id, name) VALUES (:c, :t, :n)"),
                             {"c": campus, "t": tenant, "n": tenant.split("-")[0].title() + " Inc."})
                meter_id = f"M-{tenant}"
                conn.execute(text("INSERT INTO meter (campus_id, meter_id, role, unit, interval_minutes, tenant_id) "
                                  "VALUES (:c, :m, 'tenant_consumption', 'kWh', 60, :t)"),
                             {"c": campus, "m": meter_id, "t": tenant})
                meters[meter_id] = 1_000 * line_no
                conn.execute(text(
                    "INSERT INTO settlement_line (cycle_id, line_no, tenant_id, description, quantity_wh, "
                    "rate_usd_per_mwh, amount_usd_micros, inputs_sha256_hex) VALUES (:id, :n, :t, :d, :q, :r, :a, :h)"),
                    {"id": cycle_id, "n": line_no, "t": tenant, "d": "Metered consumption", "q": 1_250_000_000,
                     "r": Decimal("61.25"), "a": 76_562_500_000 * line_no, "h": "ab" * 32})
            uri = _intervals_file(home / f"{campus}.parquet", meters)
            conn.execute(text("INSERT INTO cycle_step (cycle_id, step, result_json) VALUES (:id, 'validate', "
                              "CAST(:r AS jsonb))"), {"id": cycle_id, "r": json.dumps({"validated_uri": uri})})
            issuer = f"E{uuid.uuid4().hex[:6].upper()}"
            for issued in issue_invoices(conn, cycle_id, issuer, signing_key_path, documents_root):
                invoices[(campus, issued.tenant_id)] = issued.invoice_id
        add_user(conn, f"ap.{acme}", ["tenant"], acme, [north, south], PASSWORD)
        add_user(conn, f"ap.{acme}.north", ["tenant"], acme, [north], PASSWORD)
    return Portal("", acme, globex, north, south, invoices)


@pytest.fixture(scope="module")
async def portal(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[Portal]:
    require_browser()

    from api.app import create_app
    from runtime.keys import ensure_signing_key
    from settings import Settings

    home = tmp_path_factory.mktemp("e2e-tenant-home")
    settings = Settings(home=home, database_url=database_url, ledger_origin="test.wattledger/e2e-tenant")
    ensure_signing_key(settings)
    seeded = _seed(engine, home, settings.signing_key_path, f"{settings.data_root_uri}/invoices")
    async with serving(create_app(settings, engine, None)) as url:
        yield Portal(url, seeded.acme, seeded.globex, seeded.north, seeded.south, seeded.invoices)


async def _sign_in(page: Any, base_url: str, user_name: str) -> None:
    from playwright.async_api import expect

    await page.goto(f"{base_url}/tenant/")
    await expect(page).to_have_url(f"{base_url}/finance/login")
    await page.fill("#user_name", user_name)
    await page.fill("#password", PASSWORD)
    await page.locator("form.login button[type=submit]").first.click()
    await expect(page).to_have_url(f"{base_url}/tenant/")


async def test_a_tenant_signs_in_and_sees_only_its_own_documents(portal: Portal) -> None:
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(exist_ok=True)
    own = [portal.invoices[(portal.north, portal.acme)], portal.invoices[(portal.south, portal.acme)]]
    theirs = portal.invoices[(portal.north, portal.globex)]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True,
                                                   args=["--no-sandbox", "--disable-gpu"])
        try:
            context = await browser.new_context(viewport={"width": 1200, "height": 1000}, accept_downloads=True)
            page = await context.new_page()
            await _sign_in(page, portal.base_url, f"ap.{portal.acme}")
            invoices = page.get_by_test_id("invoices")
            for invoice_id in own:
                await expect(invoices).to_contain_text(invoice_id)
            await expect(invoices).not_to_contain_text(theirs)
            await expect(page.locator("body")).not_to_contain_text(portal.globex)
            await page.screenshot(path=str(ARTIFACTS / "tenant-portal.png"), full_page=True)

            async with page.expect_download() as pdf_download:
                await page.locator(f'a[href="/invoices/{own[0]}.pdf"]').click()
            pdf_path = ARTIFACTS / "tenant-invoice.pdf"
            await (await pdf_download.value).save_as(pdf_path)
            assert pdf_path.read_bytes().startswith(b"%PDF")
            # Another tenant's invoice, asked for directly with this session: it does not exist.
            refused = await page.request.get(f"{portal.base_url}/invoices/{theirs}.pdf")
            assert refused.status == 404

            await page.get_by_test_id("cycles").get_by_role("link", name="Charts and downloads").first.click()
            chart = page.get_by_test_id("daily-chart").locator("svg")
            await expect(chart).to_be_visible()
            await expect(chart).to_contain_text("Energy (kWh)")
            await expect(chart).to_contain_text(f"Local day ({ZONE})")
            await expect(page.get_by_test_id("interval-chart")).to_contain_text(f"Local time ({ZONE})")
            async with page.expect_download() as csv_download:
                await page.get_by_test_id("csv").click()
            csv_path = ARTIFACTS / "tenant-intervals.csv"
            await (await csv_download.value).save_as(csv_path)
            csv_lines = csv_path.read_text().splitlines()
            assert csv_lines[0] == "interval_start_utc,interval_start_local,energy_wh" and len(csv_lines) == 73
            assert csv_lines[1].startswith("2026-01-01T06:00:00Z,2026-01-01T00:00-06:00,")
            async with page.expect_download() as parquet_download:
                await page.get_by_test_id("parquet").click()
            parquet_path = ARTIFACTS / "tenant-intervals.parquet"
            await (await parquet_download.value).save_as(parquet_path)
            assert pq.read_table(parquet_path).num_rows == 72
            await page.screenshot(path=str(ARTIFACTS / "tenant-usage.png"), full_page=True)

            phone = await browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                              is_mobile=True, has_touch=True)
            small = await phone.new_page()
            await _sign_in(small, portal.base_url, f"ap.{portal.acme}")
            await expect(small.get_by_test_id("invoices")).to_contain_text(own[0])
            # Nothing but the scrollable tables may be wider than the phone's screen.
            width = await small.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the page is {width} px wide at 390 px"
            await small.screenshot(path=str(ARTIFACTS / "tenant-portal-390px.png"), full_page=True)
            await small.get_by_test_id("cycles").get_by_role("link", name="Charts and downloads").first.click()
            await expect(small.get_by_test_id("daily-chart").locator("svg")).to_be_visible()
            chart_width = await small.get_by_test_id("daily-chart").locator("svg").evaluate(
                "svg => svg.getBoundingClientRect().width")
            assert chart_width <= 390
            assert await small.evaluate("document.documentElement.scrollWidth") <= 390
            await small.screenshot(path=str(ARTIFACTS / "tenant-usage-390px.png"), full_page=True)
        finally:
            await browser.close()


async def test_a_tenant_bound_to_one_campus_sees_only_that_campus(portal: Portal) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True,
                                                   args=["--no-sandbox", "--disable-gpu"])
        try:
            page = await browser.new_page()
            await _sign_in(page, portal.base_url, f"ap.{portal.acme}.north")
            invoices = page.get_by_test_id("invoices")
            await expect(invoices).to_contain_text(portal.invoices[(portal.north, portal.acme)])
            await expect(invoices).not_to_contain_text(portal.invoices[(portal.south, portal.acme)])
            south_pdf = await page.request.get(
                f"{portal.base_url}/invoices/{portal.invoices[(portal.south, portal.acme)]}.pdf")
            assert south_pdf.status == 404
            await page.goto(f"{portal.base_url}/tenant/ledger")
            await expect(page.get_by_test_id("ledger-incomplete")).to_be_visible()
            await page.screenshot(path=str(ARTIFACTS / "tenant-portal-one-campus.png"), full_page=True)
        finally:
            await browser.close()

"""End to end in headless Chromium: finance signs in, approves a real cycle through the workflow's Update from
the page and downloads a signed PDF invoice, or rejects one with a reason; screenshots are kept under
tests/e2e/artifacts/.

Path: browser → uvicorn (the app from `create_app`) → Temporal dev server → worker → PostgreSQL.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx
from playwright.async_api import async_playwright, expect

from api.auth import mint_token
from billing.registration import inbox_folder
from demo.campus import CAMPUS_ID, TENANTS
from demo.site_export import write_site_export
from invoicing import load_public_key, verify_signed_pdf
from tests.e2e.conftest import ARTIFACTS, CHROMIUM_PATH, RunningApp

PERIOD = "2026-08"  # months no other test bills, so these cycles are these tests' own
REJECT_PERIOD = "2026-07"
WAIT_S_MAX = 240.0
STATUS_RELOADS_MAX = 60  # half a second apart: the workflow records its new phase within seconds


async def _wait_for_status(http: httpx.AsyncClient, cycle_id: str, states: set[str]) -> dict:
    deadline = time.monotonic() + WAIT_S_MAX
    cycle: dict = {}
    while time.monotonic() < deadline:
        cycle = (await http.get(f"/cycles/{cycle_id}")).json()
        if cycle.get("status") in states:
            return cycle
        await asyncio.sleep(0.25)
    raise AssertionError(f"{cycle_id} never reached {states}: {cycle.get('status')} {cycle.get('status_detail')}")


async def _wait_for_step(http: httpx.AsyncClient, cycle_id: str, step: str) -> dict:
    deadline = time.monotonic() + WAIT_S_MAX
    cycle: dict = {}
    while time.monotonic() < deadline:
        cycle = (await http.get(f"/cycles/{cycle_id}")).json()
        if step in cycle.get("steps", {}):
            return cycle["steps"]
        await asyncio.sleep(0.25)
    raise AssertionError(f"{cycle_id} never recorded step {step}: {cycle.get('status')} {cycle.get('status_detail')}")


async def test_finance_approves_on_the_page_and_downloads_the_signed_invoice(running_app: RunningApp) -> None:
    """The awaiting cycle is listed with its chart; Approve runs the Update; the workflow then issues the invoices."""
    settings = running_app.settings
    operator = mint_token(settings, "ops.e2e", ["operator"], None, timedelta(minutes=30))
    finance = mint_token(settings, "fiona.e2e", ["finance"], None, timedelta(minutes=30))
    write_site_export(inbox_folder(settings, CAMPUS_ID, PERIOD), 2026, 8, seed=11)
    async with httpx.AsyncClient(base_url=running_app.base_url, timeout=60,
                                 headers={"Authorization": f"Bearer {operator}"}) as http:
        started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": PERIOD})
        assert started.status_code == 202, started.text
        cycle_id = started.json()["cycle_id"]
        cycle = await _wait_for_status(http, cycle_id, {"awaiting_approval", "failed"})
        assert cycle["status"] == "awaiting_approval", cycle["status_detail"]

        ARTIFACTS.mkdir(exist_ok=True)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True,
                                                       args=["--no-sandbox", "--disable-gpu"])
            page = await browser.new_page(viewport={"width": 1200, "height": 1400})
            await page.goto(f"{running_app.base_url}/finance/")
            await expect(page).to_have_url(f"{running_app.base_url}/finance/login")
            await page.click("details.login-token summary")  # the token sign-in, kept for automation
            await page.fill("#credential", finance)
            await page.click("details.login-token button[type=submit]")
            await expect(page.get_by_test_id("who")).to_contain_text("fiona.e2e")
            await page.get_by_test_id("awaiting").get_by_role("link", name=cycle_id).click()
            await expect(page.locator("svg.energy-balance")).to_be_visible()
            await expect(page.get_by_test_id("status")).to_have_text("awaiting_approval")
            await page.screenshot(path=str(ARTIFACTS / "finance-cycle-awaiting-approval.png"), full_page=True)

            await page.fill("#comment", "Checked against the site export.")
            # The page reloads itself once the Update has answered; wait for that reload so the next
            # navigation does not race it.
            async with page.expect_navigation(timeout=30_000):
                await page.click("button.approve")
                await expect(page.get_by_test_id("decision-result")).to_contain_text("Recorded", timeout=30_000)
            for _ in range(STATUS_RELOADS_MAX):
                if await page.get_by_test_id("status").text_content() != "awaiting_approval":
                    break
                await asyncio.sleep(0.5)
                await page.reload()
            await expect(page.get_by_test_id("status")).not_to_have_text("awaiting_approval")

            # Steps after invoicing (ISO submission, ledger close) belong to other areas; this test needs the
            # invoices, which the workflow issues only after the approval the page sent.
            steps = await _wait_for_step(http, cycle_id, "invoice")
            assert any(step.startswith("approval") for step in steps), "the workflow recorded the approval"

            await page.goto(f"{running_app.base_url}/finance/invoices")
            rows = page.get_by_test_id("invoices").locator("tbody tr").filter(has_text=cycle_id)
            await expect(rows).to_have_count(len(TENANTS))
            await page.screenshot(path=str(ARTIFACTS / "finance-invoices.png"), full_page=True)
            first_pdf = await rows.first.get_by_role("link", name="PDF").get_attribute("href")
            assert first_pdf is not None
            pdf = await page.request.get(f"{running_app.base_url}{first_pdf}")
            assert pdf.status == 200
            pdf_bytes = await pdf.body()
            verify_signed_pdf(pdf_bytes, load_public_key(settings.signing_key_path), first_pdf)
            (ARTIFACTS / "invoice.pdf").write_bytes(pdf_bytes)
            await browser.close()


async def test_finance_rejects_on_the_page_and_the_cycle_goes_to_rework(running_app: RunningApp) -> None:
    """Reject with a reason from the page: the workflow's reject Update sends the cycle to rework with that reason."""
    settings = running_app.settings
    operator = mint_token(settings, "ops.e2e", ["operator"], None, timedelta(minutes=30))
    finance = mint_token(settings, "rita.e2e", ["finance"], None, timedelta(minutes=30))
    write_site_export(inbox_folder(settings, CAMPUS_ID, REJECT_PERIOD), 2026, 7, seed=5)
    async with httpx.AsyncClient(base_url=running_app.base_url, timeout=60,
                                 headers={"Authorization": f"Bearer {operator}"}) as http:
        started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": REJECT_PERIOD})
        assert started.status_code == 202, started.text
        cycle_id = started.json()["cycle_id"]
        cycle = await _wait_for_status(http, cycle_id, {"awaiting_approval", "failed"})
        assert cycle["status"] == "awaiting_approval", cycle["status_detail"]
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True,
                                                       args=["--no-sandbox", "--disable-gpu"])
            page = await browser.new_page()
            await page.goto(f"{running_app.base_url}/finance/login")
            await page.click("details.login-token summary")  # the token sign-in, kept for automation
            await page.fill("#credential", finance)
            await page.click("details.login-token button[type=submit]")
            await page.goto(f"{running_app.base_url}/finance/cycles/{cycle_id}")
            await page.fill("#reason", "Shared-load split looks wrong for borealis-labs.")
            async with page.expect_navigation(timeout=30_000):
                await page.click("button.reject")
            await browser.close()
        reworked = await _wait_for_status(http, cycle_id, {"rework", "failed"})
    assert reworked["status"] == "rework"
    assert "Shared-load split looks wrong" in (reworked["status_detail"] or "")

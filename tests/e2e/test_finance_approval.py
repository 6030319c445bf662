"""End to end in headless Chromium: finance reviews a real cycle's findings, records an override for the blocking
one, approves with a confirmation showing the total, and watches the page follow the cycle to its invoices; or
rejects with a reason; and the pages fit a 390 px phone. Screenshots are kept under tests/e2e/artifacts/
(ignored by git; docs/finance.md).

Path: browser → uvicorn (the app from `create_app`) → Temporal dev server → worker → PostgreSQL. The app runs
with a zero balance tolerance (conftest), so the demo's ordinary losses are a blocking finding.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import httpx
from playwright.async_api import Page, async_playwright, expect

from api.auth import mint_token
from billing.registration import inbox_folder
from demo.campus import CAMPUS_ID, TENANTS
from demo.site_export import write_site_export
from invoicing import load_public_key, verify_signed_pdf
from tests.e2e.conftest import ARTIFACTS, CHROMIUM_PATH, RunningApp

PERIOD = "2026-08"  # months no other test bills, so these cycles are these tests' own
REJECT_PERIOD = "2026-07"
WAIT_S_MAX = 240.0
PAGE_FOLLOWS_MS_MAX = 180_000  # the page's own polling must show the cycle's next phases within this
PHONE_WIDTH_PX = 390
PHONE_HEIGHT_PX = 844


async def _wait_for_status(http: httpx.AsyncClient, cycle_id: str, states: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S_MAX
    cycle: dict[str, Any] = {}
    while time.monotonic() < deadline:
        cycle = (await http.get(f"/cycles/{cycle_id}")).json()
        if cycle.get("status") in states:
            return cycle
        await asyncio.sleep(0.25)
    raise AssertionError(f"{cycle_id} never reached {states}: {cycle.get('status')} {cycle.get('status_detail')}")


async def _awaiting_cycle(http: httpx.AsyncClient, running_app: RunningApp, period: str, seed: int) -> str:
    year, month = (int(part) for part in period.split("-"))
    write_site_export(inbox_folder(running_app.settings, CAMPUS_ID, period), year, month, seed=seed)
    started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": period})
    assert started.status_code == 202, started.text
    cycle_id: str = started.json()["cycle_id"]
    cycle = await _wait_for_status(http, cycle_id, {"awaiting_approval", "failed"})
    assert cycle["status"] == "awaiting_approval", cycle["status_detail"]
    return cycle_id


async def _sign_in(page: Page, base_url: str, token: str) -> None:
    """The login page's token form (inside 'Sign in with a bearer token' where the page has user names too)."""
    await page.goto(f"{base_url}/finance/login")
    token_section = page.locator("details.login-token")
    if await token_section.count():
        await token_section.locator("summary").click()
    await page.fill("#credential", token)
    await page.locator("form:has(#credential) button[type=submit]").click()
    await expect(page.get_by_test_id("who")).to_be_visible()


async def test_finance_overrides_the_blocking_finding_approves_with_confirmation_and_the_page_follows(
    running_app: RunningApp,
) -> None:
    """Approve is disabled and the API refuses (409) while the balance finding is open; the override is stored and
    shown; Approve asks to confirm the total; the decision record names who, when and the comment; the page
    reloads itself as the cycle moves, drops the draft links once invoices exist, and the PDF verifies."""
    settings = running_app.settings
    operator = mint_token(settings, "ops.e2e", ["operator"], None, timedelta(minutes=30))
    finance = mint_token(settings, "fiona.e2e", ["finance"], None, timedelta(minutes=30))
    ARTIFACTS.mkdir(exist_ok=True)
    async with httpx.AsyncClient(base_url=running_app.base_url, timeout=60,
                                 headers={"Authorization": f"Bearer {operator}"}) as http:
        cycle_id = await _awaiting_cycle(http, running_app, PERIOD, seed=11)
        refused = await http.post(f"/cycles/{cycle_id}/approve", json={"comment": "too early"},
                                  headers={"Authorization": f"Bearer {finance}"})
        assert refused.status_code == 409 and "balance" in refused.json()["detail"], refused.text

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True,
                                                       args=["--no-sandbox", "--disable-gpu"])
            page = await browser.new_page(viewport={"width": 1200, "height": 1400})
            await _sign_in(page, running_app.base_url, finance)
            await page.get_by_test_id("awaiting").get_by_role("link", name=cycle_id).click()
            await expect(page.locator("svg.energy-balance")).to_be_visible()
            await expect(page.get_by_test_id("status")).to_have_text("awaiting_approval")
            await expect(page.get_by_test_id("approve-blocked")).to_contain_text("balance")
            await expect(page.locator("button.approve")).to_be_disabled()
            await expect(page.get_by_test_id("comparison")).to_be_visible()
            await expect(page.get_by_test_id("meters").locator("a", has_text="quality plot").first).to_be_visible()
            await page.screenshot(path=str(ARTIFACTS / "finance-cycle-blocked.png"), full_page=True)

            balance = page.locator("li.finding[data-code=balance]")
            await balance.locator("input[name=reason]").fill("Losses checked against the site's transformer data.")
            await balance.locator("button.override").click()
            await expect(page.get_by_test_id("override")).to_contain_text("fiona.e2e")
            await expect(page.get_by_test_id("override")).to_contain_text("transformer data")
            await expect(page.locator("button.approve")).to_be_enabled()
            total = (await page.get_by_test_id("total").text_content() or "").strip()
            assert total, "the page shows the settlement total"
            await page.screenshot(path=str(ARTIFACTS / "finance-cycle-overridden.png"), full_page=True)

            dialogs: list[str] = []

            async def accept(dialog: Any) -> None:
                dialogs.append(dialog.message)
                await dialog.accept()

            page.once("dialog", accept)
            await page.fill("#comment", "Checked against the site export.")
            await page.click("button.approve")
            # No reload from the test: the page's own polling follows the cycle.
            await expect(page.get_by_test_id("decision-record")).to_contain_text("Approved by fiona.e2e",
                                                                                 timeout=PAGE_FOLLOWS_MS_MAX)
            assert len(dialogs) == 1 and total in dialogs[0] and cycle_id in dialogs[0], dialogs
            await expect(page.get_by_test_id("decision-record")).to_contain_text("Checked against the site export.")
            await expect(page.get_by_test_id("status")).not_to_have_text("awaiting_approval",
                                                                       timeout=PAGE_FOLLOWS_MS_MAX)
            invoices = page.get_by_test_id("invoices").locator("tbody tr")
            await expect(invoices).to_have_count(len(TENANTS), timeout=PAGE_FOLLOWS_MS_MAX)
            await expect(page.get_by_role("link", name="draft PDF")).to_have_count(0)
            await page.screenshot(path=str(ARTIFACTS / "finance-cycle-decided.png"), full_page=True)

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
        review = (await http.get(f"/cycles/{cycle_id}/review")).json()
    assert [(o["finding_code"], o["overridden_by"]) for o in review["overrides"]] == [("balance", "fiona.e2e")]
    assert [(d["decision"], d["decided_by"]) for d in review["decisions"]] == [("approve", "fiona.e2e")]


async def test_finance_rejects_on_the_page_and_sees_the_cycle_go_to_rework(running_app: RunningApp) -> None:
    """Reject with a reason (no override needed to reject): the page records who rejected and why and follows the
    cycle to rework by itself; the workflow carries the reason."""
    settings = running_app.settings
    operator = mint_token(settings, "ops.e2e", ["operator"], None, timedelta(minutes=30))
    finance = mint_token(settings, "rita.e2e", ["finance"], None, timedelta(minutes=30))
    async with httpx.AsyncClient(base_url=running_app.base_url, timeout=60,
                                 headers={"Authorization": f"Bearer {operator}"}) as http:
        cycle_id = await _awaiting_cycle(http, running_app, REJECT_PERIOD, seed=5)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True,
                                                       args=["--no-sandbox", "--disable-gpu"])
            page = await browser.new_page()
            await _sign_in(page, running_app.base_url, finance)
            await page.goto(f"{running_app.base_url}/finance/cycles/{cycle_id}")
            await page.fill("#reason", "Shared-load split looks wrong for borealis-labs.")
            await page.click("button.reject")
            record = page.get_by_test_id("decision-record")
            await expect(record).to_contain_text("Rejected by rita.e2e", timeout=PAGE_FOLLOWS_MS_MAX)
            await expect(record).to_contain_text("Shared-load split looks wrong")
            await expect(page.get_by_test_id("status")).to_have_text("rework", timeout=PAGE_FOLLOWS_MS_MAX)
            await page.screenshot(path=str(ARTIFACTS / "finance-cycle-rejected.png"), full_page=True)
            await browser.close()
        reworked = await _wait_for_status(http, cycle_id, {"rework", "failed"})
    assert reworked["status"] == "rework"
    assert "Shared-load split looks wrong" in (reworked["status_detail"] or "")


async def test_the_finance_pages_fit_a_390_px_phone(running_app: RunningApp) -> None:
    """At 390 px the list and a cycle page do not scroll sideways (wide tables scroll inside their own box) and
    the decision buttons stay within the screen."""
    finance = mint_token(running_app.settings, "fiona.e2e", ["finance"], None, timedelta(minutes=30))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True,
                                                   args=["--no-sandbox", "--disable-gpu"])
        page = await browser.new_page(viewport={"width": PHONE_WIDTH_PX, "height": PHONE_HEIGHT_PX})
        await _sign_in(page, running_app.base_url, finance)
        await page.goto(f"{running_app.base_url}/finance/")
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH_PX
        await page.screenshot(path=str(ARTIFACTS / "finance-list-390px.png"), full_page=True)
        # The tests above left an approved and a reworked cycle; the most recently updated opens here.
        links = page.get_by_test_id("recent").locator("tbody a")
        assert await links.count() > 0, "the earlier tests of this module recorded cycles"
        await links.first.click()
        await expect(page.get_by_test_id("status")).to_be_visible()
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH_PX
        for button in ("button.approve", "button.reject"):
            if await page.locator(button).count():
                box = await page.locator(button).bounding_box()
                assert box is not None and box["x"] + box["width"] <= PHONE_WIDTH_PX
        await page.screenshot(path=str(ARTIFACTS / "finance-cycle-390px.png"), full_page=True)
        await browser.close()

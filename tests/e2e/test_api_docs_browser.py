"""/docs in Chromium with every request off this machine refused: Swagger UI renders from the app's own assets,
Authorize takes a bearer token and Try it out calls the API with it.

The app runs under uvicorn over this session's PostgreSQL; no Temporal is needed for the routes used here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from sqlalchemy import Engine

from tests.e2e.conftest import ARTIFACTS, CHROMIUM_PATH, require_browser, serving

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# ReDoc's bundle hard-codes one decorative image (its sidebar's "API docs by Redocly" logo); offline it is refused
# and the bundle hides it (onError). Everything the page needs to render comes from the app.
REDOC_BRAND_IMAGE = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture(scope="module")
async def docs_app(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, object]]:
    require_browser()

    from api.app import create_app
    from demo.campus import register_demo_campus
    from settings import Settings

    home = tmp_path_factory.mktemp("docs-home")
    settings = Settings(home=home, data_uri=str(home / "data"))
    with engine.begin() as conn:
        register_demo_campus(conn)
    async with serving(create_app(settings, engine, None)) as url:
        yield url, settings


async def test_docs_render_offline_and_try_it_out_uses_the_authorized_token(docs_app: tuple[str, object]) -> None:
    from playwright.async_api import Route, async_playwright, expect

    from api.auth import mint_token

    base_url, settings = docs_app
    token = mint_token(settings, "ops.docs", ["operator"], None, timedelta(minutes=30))  # type: ignore[arg-type]
    refused: list[str] = []

    async def local_only(route: Route) -> None:
        if urlparse(route.request.url).hostname in LOCAL_HOSTS:
            await route.continue_()
        else:
            refused.append(route.request.url)
            await route.abort()

    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True,
                                                   args=["--no-sandbox", "--disable-gpu"])
        page = await browser.new_page(viewport={"width": 1280, "height": 1400})
        await page.route("**/*", local_only)
        await page.goto(f"{base_url}/docs")
        await expect(page.locator(".swagger-ui .information-container")).to_contain_text("wattledger")
        await page.locator("button.authorize").first.click()
        dialog = page.locator(".modal-ux")
        await expect(dialog).to_contain_text("bearerAuth")
        await dialog.locator("input").first.fill(token)
        await dialog.locator("button.modal-btn.authorize").first.click()  # the bearer scheme's own Authorize
        await expect(dialog.locator("button.modal-btn.auth").first).to_have_text("Logout")
        await dialog.locator("button.btn-done").first.click()
        operation = page.locator("#operations-campuses-get_campuses_campuses_get")
        await operation.locator(".opblock-summary").click()
        await operation.get_by_role("button", name="Try it out").click()
        await operation.get_by_role("button", name="Execute").click()
        live = operation.locator(".live-responses-table .response .response-col_status").first
        await expect(live).to_have_text("200")
        await expect(operation.locator(".live-responses-table")).to_contain_text("demo")
        await page.screenshot(path=str(ARTIFACTS / "api-docs-try-it-out.png"), full_page=False)
        assert refused == [], f"Swagger UI asked for assets off this machine: {refused}"
        await page.goto(f"{base_url}/redoc")
        await expect(page.locator(".redoc-wrap").first).to_contain_text("wattledger")
        await expect(page.locator(".redoc-wrap").first).to_contain_text("bearerAuth")
        await page.screenshot(path=str(ARTIFACTS / "api-docs-redoc.png"), full_page=False)
        await browser.close()
    assert set(refused) <= {REDOC_BRAND_IMAGE}, f"ReDoc asked for assets off this machine: {refused}"

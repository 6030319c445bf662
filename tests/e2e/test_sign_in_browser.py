"""Sign-in in Debian's Chromium: user name and password, a wrong password, sign-out ending the session, and single
sign-on through the test identity provider (a real OpenID Connect server in its own process). Screenshots are kept
in tests/e2e/artifacts.

The app runs under uvicorn without Temporal (sign-in needs only PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, text

from accounts import add_user
from tests.e2e.conftest import ARTIFACTS, CHROMIUM_PATH, require_browser, serving
from tests.integration.accounts.conftest import (
    OIDC_CLIENT_ID,
    OIDC_CLIENT_SECRET,
    PASSWORD,
    free_port,
    running_provider,
)

USER = "paula.e2e"


@dataclass(frozen=True)
class SignInSite:
    base_url: str


@pytest.fixture(scope="module")
async def site(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SignInSite]:
    require_browser()

    from api.app import create_app
    from settings import Settings

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM user_account WHERE user_name = :name"), {"name": USER})
        add_user(conn, USER, ["finance"], None, [], PASSWORD)
    with running_provider(f"{base_url}/finance/login/oidc/callback") as issuer:
        home = tmp_path_factory.mktemp("e2e-sign-in")
        settings = Settings(home=home, data_uri=str(home / "data"), oidc_issuer=issuer, oidc_client_id=OIDC_CLIENT_ID,
                            oidc_client_secret=OIDC_CLIENT_SECRET, oidc_role_mapping={"billing-finance": ["finance"]})
        async with serving(create_app(settings, engine, None), port):
            yield SignInSite(base_url)


async def test_password_sign_in_wrong_password_and_sign_out_in_chromium(site: SignInSite) -> None:
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True,
                                                   args=["--no-sandbox", "--disable-gpu"])
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(f"{site.base_url}/finance/")
        await expect(page).to_have_url(f"{site.base_url}/finance/login")
        await page.fill("#user_name", USER)
        await page.fill("#password", "not the password at all")
        await page.click("form.login:not(.sso) button[type=submit] >> nth=0")
        await expect(page.get_by_role("alert")).to_contain_text("User name or password not accepted")
        await page.screenshot(path=str(ARTIFACTS / "sign-in-refused.png"), full_page=True)

        await page.fill("#user_name", USER)
        await page.fill("#password", PASSWORD)
        await page.click("form.login:not(.sso) button[type=submit] >> nth=0")
        await expect(page.get_by_test_id("who")).to_contain_text(f"{USER} (finance)")
        await page.screenshot(path=str(ARTIFACTS / "sign-in-password.png"), full_page=True)
        session = next(cookie for cookie in await page.context.cookies() if cookie["name"] == "wattledger_session")
        assert session["httpOnly"] and session["sameSite"] == "Strict" and session["value"].startswith("wls_")

        await page.get_by_role("button", name="Sign out").click()
        await expect(page).to_have_url(f"{site.base_url}/finance/login")
        # The old session key, put back into the browser, no longer signs anyone in.
        await page.context.add_cookies([{**session}])  # type: ignore[list-item]
        await page.goto(f"{site.base_url}/finance/")
        await expect(page).to_have_url(f"{site.base_url}/finance/login")
        await browser.close()


async def test_single_sign_on_in_chromium(site: SignInSite) -> None:
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True,
                                                   args=["--no-sandbox", "--disable-gpu"])
        page = await browser.new_page()
        await page.goto(f"{site.base_url}/finance/login")
        await page.get_by_test_id("sso").click()
        await page.fill("input[name=username]", "fiona")
        await page.fill("input[name=password]", "fiona idp pass phrase")
        await page.click("button")
        await expect(page).to_have_url(f"{site.base_url}/finance/")
        await expect(page.get_by_test_id("who")).to_contain_text("fiona (finance)")
        await page.screenshot(path=str(ARTIFACTS / "sign-in-single-sign-on.png"), full_page=True)
        await browser.close()

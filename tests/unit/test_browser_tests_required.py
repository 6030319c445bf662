"""Browser tests never skip silently where they are required: with WATTLEDGER_BROWSER_TESTS_REQUIRED set and
no browser, `require_browser` fails the test; without it, it skips and says why.

Break caught: turning the failure back into a skip (the behaviour CI used to have) fails the first test."""

from __future__ import annotations

import pytest

from tests.e2e import conftest as e2e


def test_a_missing_browser_fails_where_browser_tests_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(e2e, "CHROMIUM_PATH", "/nonexistent/chromium")
    monkeypatch.setenv("WATTLEDGER_BROWSER_TESTS_REQUIRED", "1")
    with pytest.raises(pytest.fail.Exception, match="browser tests are required here: Debian's chromium"):
        e2e.require_browser()


def test_a_missing_browser_skips_with_the_reason_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(e2e, "CHROMIUM_PATH", "/nonexistent/chromium")
    monkeypatch.delenv("WATTLEDGER_BROWSER_TESTS_REQUIRED", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        e2e.require_browser()


def test_ci_requires_the_browser_tests() -> None:
    """`.ci/run` installs Chromium without an escape hatch and sets the variable for every test run after it."""
    from pathlib import Path

    script = (Path(__file__).parents[2] / ".ci" / "run").read_text()
    assert "export WATTLEDGER_BROWSER_TESTS_REQUIRED=1" in script
    assert "chromium unavailable" not in script
    assert script.index("export WATTLEDGER_BROWSER_TESTS_REQUIRED=1") < script.index("make test")

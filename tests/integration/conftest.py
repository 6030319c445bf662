"""Fixtures the cycle tests share: the fake NYISO each module's stack submits to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.fake_iso.pki import TestPki as IsoPki
from tests.integration.cycle_stack import fake_nyiso


@pytest.fixture(scope="module")
def fake_iso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, IsoPki]]:
    """A fake NYISO metering API (mutual TLS) with its own PKI, one per test module."""
    with fake_nyiso(tmp_path_factory.mktemp("pki")) as iso:
        yield iso

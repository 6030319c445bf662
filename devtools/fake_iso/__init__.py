"""A fake ISO for tests and the demo: NYISO metering and statements, ERCOT/PJM file drops, price feeds, a
throwaway PKI for mutual TLS, and a runner that serves it on 127.0.0.1 for the length of a block."""

from devtools.fake_iso.app import create_app
from devtools.fake_iso.demo import DEMO_PASSWORD, DEMO_USER, demo_state
from devtools.fake_iso.pki import TestPki, make_test_pki
from devtools.fake_iso.price_feeds_api import publish_ercot_rt_document
from devtools.fake_iso.runner import running_fake_iso
from devtools.fake_iso.state import FakeIsoState, PlantedCorrections, StoredMeterValue
from devtools.fake_iso.statements import plant_price_correction, statement_runs

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USER",
    "FakeIsoState",
    "PlantedCorrections",
    "StoredMeterValue",
    "TestPki",
    "create_app",
    "demo_state",
    "make_test_pki",
    "plant_price_correction",
    "publish_ercot_rt_document",
    "running_fake_iso",
    "statement_runs",
]

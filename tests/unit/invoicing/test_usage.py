"""Invoice inputs outside the lines: usage context from cycle steps, and where documents may be written."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from common.errors import BadInput
from invoicing.storage import documents_root_path
from invoicing.usage import tenant_usage


def test_missing_steps_give_empty_context() -> None:
    """No settle or ESG result means nothing to print, not an error."""
    usage = tenant_usage(None, None, "t1")
    assert (usage.daily_energy_wh, usage.tou_energy_wh, usage.emissions_g_co2e) == ({}, {}, None)


def test_daily_tou_and_emissions_are_read_for_the_one_tenant() -> None:
    """The tenant's own figures are picked; emissions come from the JSON string the settle step stores."""
    settle = {
        "tenant_usage": {"t1": {"daily_energy_wh": {"2026-01-02": 9}, "tou_energy_wh": {"peak": 4}},
                         "t2": {"daily_energy_wh": {"2026-01-02": 1}}},
        "emissions": json.dumps({"tenant_g_co2e": {"t1": {"scope2_location": 1200}, "t2": {"scope2_location": 7}}}),
    }
    usage = tenant_usage(settle, None, "t1")
    assert usage.daily_energy_wh == {date(2026, 1, 2): 9}
    assert usage.tou_energy_wh == {"peak": 4}
    assert usage.emissions_g_co2e == {"scope2_location": 1200}


def test_malformed_context_is_bad_input() -> None:
    """A float energy or a bad date is refused with BadInput instead of being printed."""
    with pytest.raises(BadInput):
        tenant_usage({"tenant_usage": {"t1": {"daily_energy_wh": {"2026-01-02": 1.5}}}}, None, "t1")
    with pytest.raises(BadInput):
        tenant_usage({"tenant_usage": {"t1": {"daily_energy_wh": {"Jan 2": 1}}}}, None, "t1")


def test_documents_root_accepts_folders_and_file_uris_only(tmp_path: Path) -> None:
    """A plain folder and a file:// URI name the same place; another scheme is BadInput, not a crash."""
    assert documents_root_path(str(tmp_path)) == documents_root_path(f"file://{tmp_path}")
    with pytest.raises(BadInput):
        documents_root_path("s3://bucket/invoices")

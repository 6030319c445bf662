"""The campus file's `[esg]` section: every emission setting a cycle needs, checked against the file's meters and
tenants (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from campus.errors import CampusFileInvalid
from campus.file import parse_campus_text

DEMO = Path(__file__).resolve().parents[3] / "demo" / "campus.toml"
ESG = """
[esg]
enabled = true
gwp_set = "AR6"
supplier_rate = "nyup-supplier-2026"
residual_mix = "green-e-2026/nyup"
deliverable_zones = ["NYISO"]
heat_rate_mmbtu_per_mwh = { "GT1-GEN" = "10.5" }
scope3_upstream_electricity = "library"
shared_load = "billed"

[[esg.tenant_supplier_rates]]
tenant = "acme-ai"
rate = "acme-green-tariff-2026"

[[esg.shared_services]]
id = "chiller-leak-2026-03"
kind = "refrigerant"
substance = "HFC-134a"
quantity = "12.5"
unit = "kg"
occurred_on = 2026-03-14
key_name = "contracted kW"
allocation_key = { "acme-ai" = 12000, "borealis-labs" = 8000 }
"""


def _with_esg(section: str) -> bytes:
    text = DEMO.read_text()
    assert "\n[esg]" not in text
    return (text + section).encode()


def test_the_esg_section_is_read_exactly() -> None:
    esg = parse_campus_text("campus.toml", _with_esg(ESG), None).document["esg"]
    assert esg["gwp_set"] == "AR6"
    assert esg["heat_rate_mmbtu_per_mwh"] == {"GT1-GEN": "10.5"}
    assert esg["tenant_supplier_rates"] == [{"tenant": "acme-ai", "rate": "acme-green-tariff-2026"}]
    assert esg["scope3_upstream_electricity"] == "library" and esg["shared_load"] == "billed"
    leak = esg["shared_services"][0]
    assert (leak["quantity"], leak["occurred_on"], leak["tenant_scope3_category"]) == (
        "12.5", "2026-03-14", "cat1_purchased_services")


@pytest.mark.parametrize(("change", "field"), [
    (('tenant = "acme-ai"', 'tenant = "nobody"'), "esg.tenant_supplier_rates[0].tenant"),
    (('"GT1-GEN" = "10.5"', '"GRID-IMP" = "10.5"'), "esg.heat_rate_mmbtu_per_mwh.GRID-IMP"),
    (('gwp_set = "AR6"', 'gwp_set = "AR7"'), "esg.gwp_set"),
    (('shared_load = "billed"', 'shared_load = "tenants"'), "esg.shared_load"),
    (('"GT1-GEN" = "10.5"', '"GT1-GEN" = "-1"'), "esg.heat_rate_mmbtu_per_mwh.GT1-GEN"),
    (('"GT1-GEN" = "10.5"', '"PV1-GEN" = "10.5"'), "esg.heat_rate_mmbtu_per_mwh.PV1-GEN"),
    (('"borealis-labs" = 8000', '"nobody" = 8000'), "esg.shared_services[0].allocation_key.nobody"),
    (('quantity = "12.5"', 'quantity = "-1"'), "esg.shared_services[0].quantity"),
    (('kind = "refrigerant"', 'kind = "leak"'), "esg.shared_services[0].kind"),
])
def test_a_bad_esg_setting_is_refused_with_its_line_and_field(change: tuple[str, str], field: str) -> None:
    with pytest.raises(CampusFileInvalid) as caught:
        parse_campus_text("campus.toml", _with_esg(ESG.replace(*change)), None)
    problems = caught.value.problems
    assert [problem.field for problem in problems] == [field]
    assert problems[0].line is not None

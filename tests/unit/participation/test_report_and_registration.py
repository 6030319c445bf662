"""The shadow report model and PDF from a recorded step, and the ISO registration package, worked by hand."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from campus import Campus, Meter, MeterRole
from common.errors import BadInput
from participation.registration import registration_csv, registration_package
from participation.report import shadow_report, shadow_report_pdf
from tests.pdf_text import pdf_text

RECORDED = {
    "status": "computed", "campus_id": "c1", "node": "HB_SOUTH", "rules_version": "r-3",
    "period_start_utc": "2026-09-01T05:00:00+00:00", "period_end_utc": "2026-10-01T05:00:00+00:00",
    "interval_minutes": 15,
    "programs": [
        {"program": "export", "revenue_usd_micros": 1_043_100_000, "avoided_cost_usd_micros": 0,
         "cost_usd_micros": 323_000_000, "net_usd_micros": 720_100_000, "energy_wh": 8_500_000,
         "emissions_g": 3_400_000},
        {"program": "economic_dr", "revenue_usd_micros": 0, "avoided_cost_usd_micros": 0, "cost_usd_micros": 0,
         "net_usd_micros": 0, "energy_wh": 0, "emissions_g": 0},
        {"program": "coincident_peak", "revenue_usd_micros": 0, "avoided_cost_usd_micros": 9_441_250_000,
         "cost_usd_micros": 18_750_000, "net_usd_micros": 9_422_500_000, "energy_wh": 125_000, "emissions_g": 0},
    ],
    "net_usd_micros": 10_142_600_000,
    "tenant_bill_effect_usd_micros": {"mesquite": -18_750_000, "longhorn": 0},
    "bound_intervals": [{"interval_start_utc": "2026-09-03T10:00:00+00:00", "program": "export",
                         "rules": ["R-ECON"], "reasons": ["GT1: price under its fuel cost"]}],
    "dispatches": [],
}


def test_report_model_totals_and_text() -> None:
    report = shadow_report("cycle:c1:2026-09", RECORDED)
    assert report.program_rows[0][1:5] == ("$1,043.10", "$0.00", "$323.00", "$720.10")
    assert report.program_rows[2][2:5] == ("$9,441.25", "$18.75", "$9,422.50")
    # Totals: 1,043.10 revenue; 9,441.25 avoided; 323.00 + 18.75 cost; 720.10 + 9,422.50 net.
    assert report.total_row[1:5] == ("$1,043.10", "$9,441.25", "$341.75", "$10,142.60")
    assert report.total_row[5:] == ("8.625000 MWh", "3.400000 t CO2e")
    assert report.tenant_rows == (("longhorn", "$0.00"), ("mesquite", "-$18.75"))
    assert report.bound_rows == (("2026-09-03T10:00:00+00:00", "export", "R-ECON", "GT1: price under its fuel cost"),)
    assert report.rules_version == "r-3"


def test_pdf_shows_the_same_figures() -> None:
    text = pdf_text(shadow_report_pdf(shadow_report("cycle:c1:2026-09", RECORDED)))
    for shown in ("$10,142.60", "$9,441.25", "-$18.75", "R-ECON", "GT1: price under its fuel cost", "r-3"):
        assert shown in text, shown


def test_a_campus_without_market_section_reports_so() -> None:
    report = shadow_report("cycle:c2:2026-09", {"status": "not_configured", "reason": "no [market] section"})
    assert report.status == "not_configured" and report.program_rows == ()
    assert "no [market] section" in pdf_text(shadow_report_pdf(report))


CAMPUS = Campus("demo-campus", "Hudson AI", "America/New_York", "PJM", legal_entity="Hudson LLC",
                settlement_point="PSEG")
METERS = [
    Meter("GT1-GEN", MeterRole.GENERATION, "kWh", 15, rated_kw=32_000, iso_meter_id="323701", fuel_type="natural_gas"),
    Meter("DIESEL-1", MeterRole.GENERATION, "kWh", 15, rated_kw=2_500, fuel_type="diesel"),
    Meter("GRID-IMP", MeterRole.GRID_IMPORT, "kWh", 15, rated_kw=60_000, iso_meter_id="323703"),
    Meter("ACME-A", MeterRole.TENANT, "kWh", 15, tenant_id="acme", rated_kw=8_000),
]
MARKET = {"rules_version": "m-1", "generators": [
    {"meter": "GT1-GEN", "pmin_kw": 10_000, "pmax_kw": 30_000, "start_minutes": 20},
    {"meter": "DIESEL-1", "pmin_kw": 500, "pmax_kw": 2_500, "emergency_only": True}],
    "tenants": [{"tenant": "acme", "firm_kw": 3_000, "interruptible_kw": 1_500, "consent_reference": "sched. 4"}]}


def _field(package: dict, section: str, name: str) -> str:
    matches = [f["value"] for f in package["fields"] if f["section"] == section and f["field"] == name]
    assert len(matches) == 1, (section, name, matches)
    return str(matches[0])


def test_pjm_registration_fields_from_the_campus_model() -> None:
    package = registration_package("PJM", CAMPUS, METERS, MARKET)
    assert _field(package, "resource", "Pnode") == "PSEG"
    # Offered: GT1's 30 MW (the emergency diesel never runs for income) + 1.5 MW interruptible = 31.5 MW.
    assert _field(package, "resource", "Load Reduction Capability (MW)") == "31.500"
    assert package["resource"] == {"generation_kw": 32_500, "interruptible_kw": 1_500, "offered_kw": 31_500,
                                   "meters": ["GT1-GEN", "GRID-IMP"],
                                   "telemetry_points": ["323701.MW", "323701.MWh", "323703.MW", "323703.MWh"]}
    assert _field(package, "generator GT1-GEN", "Generator Nameplate (MW)") == "32.000"
    assert _field(package, "generator GT1-GEN", "On-site Generator Type") == "natural_gas"
    assert _field(package, "generator GT1-GEN", "Permit Type") == "non_emergency"
    assert _field(package, "generator DIESEL-1", "Permit Type") == "emergency"
    assert _field(package, "tenant acme", "Interruptible Load (MW)") == "1.500"
    assert _field(package, "meter GRID-IMP", "EDC Meter Number") == "323703"
    assert "EDC Account Number" in " ".join(package["missing"])


def test_ercot_registration_csv() -> None:
    package = registration_package("ERCOT", CAMPUS, METERS, MARKET, duns="123456789")
    rows = list(csv.DictReader(io.StringIO(registration_csv(package))))
    by_field = {(row["section"], row["field"]): row["value"] for row in rows}
    assert by_field[("resource", "Settlement Point")] == "PSEG"
    assert by_field[("resource", "DUNS Number")] == "123456789"
    assert by_field[("meter GT1-GEN", "ESI ID")] == "323701"
    assert by_field[("generator GT1-GEN", "Nameplate Rating (MW)")] == "32.000"
    assert ("to supply", "Qualified Scheduling Entity (QSE)") in by_field
    assert sum(1 for row in rows if row["field"] == "Telemetry Point") == 6  # 2 meters x MW, breaker, UFR
    assert Decimal(by_field[("resource", "Offered Capacity (MW)")]) == Decimal("31.5")


def test_registration_refuses_an_unknown_iso_and_a_campus_without_market() -> None:
    with pytest.raises(BadInput, match="iso"):
        registration_package("MISO", CAMPUS, METERS, MARKET)
    with pytest.raises(BadInput, match=r"\[market\]"):
        registration_package("PJM", CAMPUS, METERS, {})

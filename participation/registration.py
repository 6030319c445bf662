"""An ISO-ready registration package: the campus's resource data in the fields the ISO's enrolment asks for.

PJM's DR Hub registration (Manual 11 §10.2.2) and ERCOT's resource registration (Resource Entity, ESI IDs, ERS
and Load Resource forms, the Generation Resource RARF for exporters) ask for the same facts under different names:
the meters and their ISO ids, the price node, the capacity on offer, the telemetry points, each on-site
generator's type, nameplate and permit class, and the tenants' interruptible MW. The package fills every field the
campus model knows and lists the others (account numbers, the CSP or QSE, the utility) as `missing`, so nothing is
guessed. Field names follow docs/market-participation.md §6 (register: `isos` below).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from campus import Campus, Meter, MeterRole
from common.errors import BadInput

ISOS = ("PJM", "ERCOT")
# Facts the campus model does not hold: the enrolling party supplies them (named as the ISO's form names them).
MISSING_BY_ISO: dict[str, tuple[str, ...]] = {
    "PJM": ("Curtailment Service Provider (CSP)", "Electric Distribution Company (EDC)", "Load Serving Entity (LSE)",
            "EDC Account Number", "Peak Load Contribution (PLC) MW", "Generator Vintage", "Business Segment"),
    "ERCOT": ("Resource Entity", "Qualified Scheduling Entity (QSE)", "ERS Resource ID (ERID)",
              "Transmission/Distribution Service Provider (TDSP)"),
}


@dataclass(frozen=True)
class RegistrationField:
    section: str  # the form or part of it: resource, meter GT1-GEN, generator GT1-GEN, tenant acme-ai, ...
    field: str  # as the ISO names it
    value: str
    source: str  # where in the campus model the value comes from


def registration_package(iso: str, campus: Campus, meters: Sequence[Meter], market: Mapping[str, Any],
                         duns: str | None = None) -> dict[str, Any]:
    """The package as plain JSON values: the resource summary, every field, and the fields left to supply."""
    if iso not in ISOS:
        raise BadInput("registration", None, "iso", f"{iso!r} is not one of {', '.join(ISOS)}")
    if not market:
        raise BadInput(campus.campus_id, None, "market", "the campus file has no [market] section to register")
    by_id = {meter.meter_id: meter for meter in meters}
    generators = [(g, by_id.get(g["meter"])) for g in market.get("generators") or []]
    tenants = list(market.get("tenants") or [])
    node = market.get("node") or campus.settlement_point or ""
    generation_kw = sum(int(g["pmax_kw"]) for g, _ in generators)
    interruptible_kw = sum(int(t.get("interruptible_kw", 0)) for t in tenants)
    dispatchable_kw = sum(int(g["pmax_kw"]) for g, _ in generators if not g.get("emergency_only"))
    fields = _fields_pjm if iso == "PJM" else _fields_ercot
    rows = fields(campus, node, meters, generators, tenants, dispatchable_kw + interruptible_kw, duns)
    return {
        "iso": iso, "campus_id": campus.campus_id, "campus_iso": campus.iso, "node": node,
        "rules_version": market.get("rules_version"),
        "resource": {"generation_kw": generation_kw, "interruptible_kw": interruptible_kw,
                     "offered_kw": dispatchable_kw + interruptible_kw,
                     "meters": [m.meter_id for m in meters if m.iso_meter_id],
                     "telemetry_points": [row.value for row in rows if row.field == "Telemetry Point"]},
        "fields": [{"section": r.section, "field": r.field, "value": r.value, "source": r.source} for r in rows],
        "missing": list(MISSING_BY_ISO[iso]),
    }


def registration_csv(package: Mapping[str, Any]) -> str:
    """The fields as CSV (section, field, value, source), then one row per field left to supply."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "field", "value", "source"))
    for row in package["fields"]:
        writer.writerow((row["section"], row["field"], row["value"], row["source"]))
    for name in package["missing"]:
        writer.writerow(("to supply", name, "", "not in the campus model"))
    return out.getvalue()


def _mw(kw: int) -> str:
    return f"{Decimal(kw) / 1000:.3f}"


def _permit(generator: Mapping[str, Any]) -> str:
    return "emergency" if generator.get("emergency_only") else "non_emergency"


def _telemetry(meters: Sequence[Meter], fields: Sequence[str]) -> list[RegistrationField]:
    """One telemetry point per revenue meter the ISO knows (grid, generation, export), MW first."""
    rows = []
    for meter in meters:
        if meter.iso_meter_id and meter.role in (MeterRole.GRID_IMPORT, MeterRole.GENERATION, MeterRole.EXPORT):
            for name in fields:
                rows.append(RegistrationField(f"telemetry {meter.meter_id}", "Telemetry Point",
                                              f"{meter.iso_meter_id}.{name}", f"meters.{meter.meter_id}.iso_meter_id"))
    return rows


def _meters(meters: Sequence[Meter], id_field: str) -> list[RegistrationField]:
    rows = []
    for meter in meters:
        if meter.iso_meter_id:
            section = f"meter {meter.meter_id}"
            rows += [RegistrationField(section, id_field, meter.iso_meter_id, f"meters.{meter.meter_id}.iso_meter_id"),
                     RegistrationField(section, "Meter Role", meter.role.value, f"meters.{meter.meter_id}.role"),
                     RegistrationField(section, "Interval Data (minutes)", str(meter.interval_minutes),
                                       f"meters.{meter.meter_id}.interval_minutes")]
    return rows


def _generator_rows(generators: Sequence[tuple[Mapping[str, Any], Meter | None]], type_field: str,
                    nameplate_field: str) -> list[RegistrationField]:
    rows = []
    for generator, meter in generators:
        unit, section = generator["meter"], f"generator {generator['meter']}"
        nameplate_kw = meter.rated_kw if meter and meter.rated_kw else int(generator["pmax_kw"])
        rows += [RegistrationField(section, type_field, (meter.fuel_type if meter else None) or "unknown",
                                   f"meters.{unit}.fuel_type"),
                 RegistrationField(section, nameplate_field, _mw(nameplate_kw), f"meters.{unit}.rated_kw"),
                 RegistrationField(section, "Permit Type", _permit(generator), f"market.generators.{unit}.emergency_only"),
                 RegistrationField(section, "Minimum Output (MW)", _mw(int(generator["pmin_kw"])),
                                   f"market.generators.{unit}.pmin_kw"),
                 RegistrationField(section, "Maximum Output (MW)", _mw(int(generator["pmax_kw"])),
                                   f"market.generators.{unit}.pmax_kw"),
                 RegistrationField(section, "Start Time (minutes)", str(generator.get("start_minutes", 0)),
                                   f"market.generators.{unit}.start_minutes")]
    return rows


def _tenant_rows(tenants: Sequence[Mapping[str, Any]]) -> list[RegistrationField]:
    rows = []
    for tenant in tenants:
        section, where = f"tenant {tenant['tenant']}", f"market.tenants.{tenant['tenant']}"
        rows += [RegistrationField(section, "Firm Service Level (MW)", _mw(int(tenant["firm_kw"])), f"{where}.firm_kw"),
                 RegistrationField(section, "Interruptible Load (MW)", _mw(int(tenant.get("interruptible_kw", 0))),
                                   f"{where}.interruptible_kw"),
                 RegistrationField(section, "Consent", tenant.get("consent_reference") or "",
                                   f"{where}.consent_reference")]
    return rows


def _fields_pjm(campus: Campus, node: str, meters: Sequence[Meter],
                generators: Sequence[tuple[Mapping[str, Any], Meter | None]], tenants: Sequence[Mapping[str, Any]],
                offered_kw: int, duns: str | None) -> list[RegistrationField]:
    """PJM DR Hub economic registration."""
    resource = [
        RegistrationField("resource", "Location Name", campus.name, "campus.name"),
        RegistrationField("resource", "Customer Legal Entity", campus.legal_entity or "", "campus.legal_entity"),
        RegistrationField("resource", "Pnode", node, "market.node or campus.settlement_point"),
        RegistrationField("resource", "Registration Type", "Economic", "market.dr_program"),
        RegistrationField("resource", "CBL Method", "High 4 of 5 with Symmetric Additive Adjustment",
                          "participation.baselines"),
        RegistrationField("resource", "Load Reduction Capability (MW)", _mw(offered_kw),
                          "market.generators pmax (non-emergency) + market.tenants interruptible_kw"),
        RegistrationField("resource", "Source of DR Capability",
                          "on-site generation and curtailable load" if generators else "curtailable load",
                          "market.generators, market.tenants"),
    ]
    return [*resource, *_meters(meters, "EDC Meter Number"),
            *_generator_rows(generators, "On-site Generator Type", "Generator Nameplate (MW)"),
            *_tenant_rows(tenants), *_telemetry(meters, ("MW", "MWh"))]


def _fields_ercot(campus: Campus, node: str, meters: Sequence[Meter],
                  generators: Sequence[tuple[Mapping[str, Any], Meter | None]], tenants: Sequence[Mapping[str, Any]],
                  offered_kw: int, duns: str | None) -> list[RegistrationField]:
    """ERCOT: the ESI IDs with 15-minute IDR data, the Load Resource's telemetry, a Generation Resource per unit."""
    resource = [
        RegistrationField("resource", "Resource Name", campus.campus_id.upper().replace("-", "_"), "campus.id"),
        RegistrationField("resource", "Customer Legal Name", campus.legal_entity or "", "campus.legal_entity"),
        RegistrationField("resource", "Settlement Point", node, "market.node or campus.settlement_point"),
        RegistrationField("resource", "Load Zone", campus.settlement_point or "", "campus.settlement_point"),
        RegistrationField("resource", "Offered Capacity (MW)", _mw(offered_kw),
                          "market.generators pmax (non-emergency) + market.tenants interruptible_kw"),
        RegistrationField("resource", "DUNS Number", duns or "", "iso_submission.duns"),
    ]
    return [*resource, *_meters(meters, "ESI ID"),
            *_generator_rows(generators, "Generation Resource Fuel Type", "Nameplate Rating (MW)"),
            *_tenant_rows(tenants), *_telemetry(meters, ("MW", "BREAKER_STATUS", "UFR_STATUS"))]

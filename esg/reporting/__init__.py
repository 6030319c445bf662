"""What is shown and kept of a cycle's emissions: tenant statements, the campus report (HTML, PDF, charts), CSV and
Parquet exports, evidence packages for assurance, and stored result versions with their restatements."""

from esg.reporting.campus_report import campus_report_html, campus_report_pdf
from esg.reporting.evidence import write_evidence_package
from esg.reporting.exports import PARTY_SCHEMA, SCHEMAS, export_csv, export_parquet_bytes
from esg.reporting.report_model import CampusReport, ReportContext, build_campus_report
from esg.reporting.restatement import EmissionsDelta, delta_ledger_postings, restatement_delta
from esg.reporting.service import (
    RecordOutcome,
    cycle_emissions,
    cycle_versions,
    evidence_for_cycle,
    record_cycle_emissions,
    report_for_cycle,
    restate_billing_cycle,
    settled_cycle,
    statement_for_cycle,
    stored_cycle,
)
from esg.reporting.statement_pdf import render_statement_pdf
from esg.reporting.tenant_statement import (
    TenantStatement,
    invoice_emissions_g_co2e,
    render_statement_html,
    render_statement_text,
    tenant_statement,
)

__all__ = [
    "PARTY_SCHEMA",
    "SCHEMAS",
    "CampusReport",
    "EmissionsDelta",
    "RecordOutcome",
    "ReportContext",
    "TenantStatement",
    "build_campus_report",
    "campus_report_html",
    "campus_report_pdf",
    "cycle_emissions",
    "cycle_versions",
    "delta_ledger_postings",
    "evidence_for_cycle",
    "export_csv",
    "export_parquet_bytes",
    "invoice_emissions_g_co2e",
    "record_cycle_emissions",
    "render_statement_html",
    "render_statement_pdf",
    "render_statement_text",
    "report_for_cycle",
    "restate_billing_cycle",
    "restatement_delta",
    "settled_cycle",
    "statement_for_cycle",
    "stored_cycle",
    "tenant_statement",
    "write_evidence_package",
]

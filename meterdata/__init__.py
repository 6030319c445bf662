"""Meter data management: ingest (CSV with declared mappings, Parquet, Green Button), numba VEE with
estimation, streaming aggregation, and the stored-file / quarantine / manual-edit services.

Everything another package may import is named here.
"""

from meterdata.csv_mapping import SITE_EXPORT_V1, CsvMapping
from meterdata.edits import ManualEdit
from meterdata.ingest import IngestedFile, IngestResult, ingest_files
from meterdata.report_text import report_lines
from meterdata.specs import ROLE_THRESHOLDS, ROLES, MeterSpec, VeeThresholds
from meterdata.vee import VeeResult, run_vee

__all__ = [
    "ROLES",
    "ROLE_THRESHOLDS",
    "SITE_EXPORT_V1",
    "CsvMapping",
    "IngestResult",
    "IngestedFile",
    "ManualEdit",
    "MeterSpec",
    "VeeResult",
    "VeeThresholds",
    "ingest_files",
    "report_lines",
    "run_vee",
]

"""Meter data management: ingest (CSV with declared mappings, Parquet, Green Button), numba VEE with
estimation, streaming aggregation, and the stored-file / quarantine / manual-edit services.

Everything another package may import is named here, or is one of five public modules: `schema` (the interval
Parquet schema and quality codes), `service` (receive, store, quarantine and correct files; what a period
collects), `aggregate` (streaming aggregation to ISO settlement intervals), `state_of_charge` (a battery's reported
stored energy, kept beside the validated file) and `watch` (an inbox watched for files).
"""

from meterdata.csv_mapping import MAPPINGS, SITE_EXPORT_V1, CsvMapping
from meterdata.edits import ManualEdit
from meterdata.ingest import IngestedFile, IngestResult, InputFile, InputFileRefused, ingest_files
from meterdata.raw_store import (
    DEFAULT_UPLOAD_LIMITS,
    RawFileWriter,
    StoredBytes,
    UploadLimits,
    UploadTooLarge,
)
from meterdata.report_text import report_lines
from meterdata.specs import ROLE_THRESHOLDS, ROLES, MeterSpec, VeeThresholds, meter_spec_from_campus
from meterdata.vee import VeeResult, run_vee

__all__ = [
    "DEFAULT_UPLOAD_LIMITS",
    "MAPPINGS",
    "ROLES",
    "ROLE_THRESHOLDS",
    "SITE_EXPORT_V1",
    "CsvMapping",
    "IngestResult",
    "IngestedFile",
    "InputFile",
    "InputFileRefused",
    "ManualEdit",
    "MeterSpec",
    "RawFileWriter",
    "StoredBytes",
    "UploadLimits",
    "UploadTooLarge",
    "VeeResult",
    "VeeThresholds",
    "aggregate",
    "ingest_files",
    "meter_spec_from_campus",
    "report_lines",
    "run_vee",
    "schema",
    "service",
    "state_of_charge",
    "watch",
]

"""Idempotent ISO submission on business keys, with attempts, rejections and deadlines recorded.

`service` is ISO-neutral: it sends a document through a `Sender` once per key. `senders` has one Sender per
ISO; `nyiso_period` is a billing cycle's NYISO step in one call; `period_files` decides which ERCOT LSE and PJM
Power Meter files a period needs; `file_outbox` keeps a file set once per key.
"""

from market_adapters.submission.file_outbox import (
    IsoFile,
    WrittenFiles,
    recorded_created_at_utc,
    write_bytes_once,
    write_files_once,
)
from market_adapters.submission.nyiso_period import NyisoPeriod, submit_nyiso_period
from market_adapters.submission.period_files import (
    ercot_lse_files,
    lse_meters,
    operating_days,
    pjm_power_meter_files,
    power_meter_accounts,
)
from market_adapters.submission.senders import (
    ercot_lse_sender,
    file_document,
    nyiso_sender,
    pjm_power_meter_sender,
)
from market_adapters.submission.service import (
    Sender,
    SubmissionRecord,
    SubmissionRefused,
    SubmissionRequest,
    list_campus_submissions,
    submission_attempts,
    submission_key,
    submit_cycle_to_iso,
)

__all__ = [
    "IsoFile",
    "NyisoPeriod",
    "Sender",
    "SubmissionRecord",
    "SubmissionRefused",
    "SubmissionRequest",
    "WrittenFiles",
    "ercot_lse_files",
    "ercot_lse_sender",
    "file_document",
    "list_campus_submissions",
    "lse_meters",
    "nyiso_sender",
    "operating_days",
    "pjm_power_meter_files",
    "pjm_power_meter_sender",
    "power_meter_accounts",
    "recorded_created_at_utc",
    "submission_attempts",
    "submission_key",
    "submit_cycle_to_iso",
    "submit_nyiso_period",
    "write_bytes_once",
    "write_files_once",
]

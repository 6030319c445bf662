"""Idempotent ISO submission on business keys, with attempts, rejections and deadlines recorded.

`submit_nyiso_period` and `NyisoPeriod` live in `market_adapters.submission.nyiso_period` (imported lazily
there, because they pull in the NYISO adapter).
"""

from market_adapters.submission.service import (
    SubmissionRecord,
    SubmissionRequest,
    list_campus_submissions,
    nyiso_sender,
    submission_attempts,
    submission_key,
    submit_cycle_to_iso,
)

__all__ = ["SubmissionRecord", "SubmissionRequest", "list_campus_submissions",
           "nyiso_sender", "submission_attempts", "submission_key", "submit_cycle_to_iso"]

"""Idempotent ISO submission on business keys, with attempts, rejections and deadlines recorded."""

from market_adapters.submission.service import (
    SubmissionRecord,
    SubmissionRequest,
    document_sha256_hex,
    nyiso_sender,
    submission_key,
    submit_cycle_to_iso,
)

__all__ = ["SubmissionRecord", "SubmissionRequest", "document_sha256_hex", "nyiso_sender", "submission_key",
           "submit_cycle_to_iso"]

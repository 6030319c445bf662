"""HTTP for every ISO client: one bounded retry loop (with read-back before a resend), TLS with our client
certificate, and file drops answered by an acknowledgement file."""

from market_adapters.http.file_upload import (
    AckError,
    Acknowledgement,
    acknowledgement_from_json,
    outcome_or_rejection,
    upload_file,
)
from market_adapters.http.retry import (
    RETRY_DEFAULT,
    TIMEOUT_DEFAULT,
    RetryPolicy,
    send_with_read_back,
    send_with_retry,
    tls_context,
)

__all__ = [
    "RETRY_DEFAULT",
    "TIMEOUT_DEFAULT",
    "AckError",
    "Acknowledgement",
    "RetryPolicy",
    "acknowledgement_from_json",
    "outcome_or_rejection",
    "send_with_read_back",
    "send_with_retry",
    "tls_context",
    "upload_file",
]

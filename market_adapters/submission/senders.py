"""Senders for file-based ISOs: the submission `document` is `{"file_name": ..., "text": ...}`, so its
sha256 (and with it idempotency) covers the exact bytes that go out."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from market_adapters.ercot.lse_format import LseFile
from market_adapters.http.retry import RETRY_DEFAULT, RetryPolicy
from market_adapters.model import IsoCredentials, IsoMeterRef, SubmissionOutcome
from market_adapters.pjm.power_meter import PowerMeterFile
from market_adapters.submission.service import Sender


def file_document(file_name: str, text: str) -> dict:
    return {"file_name": file_name, "text": text}


def ercot_lse_sender(base_url: str, credentials: IsoCredentials, meter: IsoMeterRef, *,
                     retry: RetryPolicy = RETRY_DEFAULT, sleep: Callable[[float], None] = time.sleep) -> Sender:
    from market_adapters.ercot.client import upload_lse

    def send(document: dict) -> SubmissionOutcome:
        return upload_lse(base_url, credentials, LseFile(document["file_name"], document["text"]), meter,
                          retry=retry, sleep=sleep)

    return send


def pjm_power_meter_sender(sso_base_url: str, base_url: str, credentials: IsoCredentials,
                           meters: Sequence[IsoMeterRef], *, retry: RetryPolicy = RETRY_DEFAULT,
                           sleep: Callable[[float], None] = time.sleep) -> Sender:
    """Log in through SSO for a fresh `pjmauth` token on every send (tokens expire), then upload."""
    from market_adapters.pjm.client import sso_token, upload_power_meter

    def send(document: dict) -> SubmissionOutcome:
        token = sso_token(sso_base_url, credentials, retry=retry, sleep=sleep)
        upload = PowerMeterFile(document["file_name"], document["text"])
        return upload_power_meter(base_url, credentials, token, upload, meters, retry=retry, sleep=sleep)

    return send

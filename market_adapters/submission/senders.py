"""A Sender per ISO: what `submit_cycle_to_iso` calls to put one document in front of the ISO.

NYISO takes the powerMetering body as JSON. File-based ISOs take a `document` of `{"file_name": ...,
"text": ...}`, so its sha256 (and with it idempotency) covers the exact bytes that go out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from market_adapters.ercot.client import upload_lse
from market_adapters.ercot.lse_format import LseFile
from market_adapters.http.retry import RETRY_DEFAULT, RetryPolicy
from market_adapters.model import IsoCredentials, IsoMeterRef, SubmissionOutcome
from market_adapters.nyiso.client import submit_power_metering
from market_adapters.pjm.client import sso_token, upload_power_meter
from market_adapters.pjm.power_meter import PowerMeterFile
from market_adapters.submission.service import Sender


def nyiso_sender(base_url: str, credentials: IsoCredentials, meters: Sequence[IsoMeterRef], *,
                 dry_run_first: bool, retry: RetryPolicy = RETRY_DEFAULT,
                 sleep: Callable[[float], None] = time.sleep) -> Sender:
    """A Sender for NYISO powerMetering: optionally a dry run first, so a rejection commits nothing."""

    def send(document: dict[str, Any]) -> SubmissionOutcome:
        if dry_run_first:
            submit_power_metering(base_url, credentials, document, dry_run=True, meters=meters, retry=retry, sleep=sleep)
        return submit_power_metering(base_url, credentials, document, dry_run=False, meters=meters, retry=retry,
                                     sleep=sleep)

    return send


def file_document(file_name: str, text: str) -> dict[str, Any]:
    return {"file_name": file_name, "text": text}


def ercot_lse_sender(base_url: str, credentials: IsoCredentials, meter: IsoMeterRef, *,
                     retry: RetryPolicy = RETRY_DEFAULT, sleep: Callable[[float], None] = time.sleep) -> Sender:
    def send(document: dict[str, Any]) -> SubmissionOutcome:
        return upload_lse(base_url, credentials, LseFile(document["file_name"], document["text"]), meter,
                          retry=retry, sleep=sleep)

    return send


def pjm_power_meter_sender(sso_base_url: str, base_url: str, credentials: IsoCredentials,
                           meters: Sequence[IsoMeterRef], *, retry: RetryPolicy = RETRY_DEFAULT,
                           sleep: Callable[[float], None] = time.sleep) -> Sender:
    """Log in through SSO for a fresh `pjmauth` token on every send (tokens expire), then upload."""

    def send(document: dict[str, Any]) -> SubmissionOutcome:
        token = sso_token(sso_base_url, credentials, retry=retry, sleep=sleep)
        upload = PowerMeterFile(document["file_name"], document["text"])
        return upload_power_meter(base_url, credentials, token, upload, meters, retry=retry, sleep=sleep)

    return send

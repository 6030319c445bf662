"""One call for a billing cycle's NYISO step: build the powerMetering body, check it, keep it in the outbox,
submit it once per business key.

The body's `userRequestId` is derived from the business key, so a retried activity sends the same bytes and
the idempotency check (document sha256) holds. The body is written before sending, so what went to NYISO
can always be shown; an existing file with other content under the same key is a Conflict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from common.errors import BadInput
from market_adapters.http.retry import RETRY_DEFAULT, RetryPolicy
from market_adapters.model import IsoCredentials, IsoMeterRef
from market_adapters.nyiso import (
    build_power_metering_document,
    user_request_id_for,
    validate_power_metering_document,
)
from market_adapters.submission.file_outbox import write_bytes_once
from market_adapters.submission.senders import nyiso_sender
from market_adapters.submission.service import (
    SubmissionRecord,
    SubmissionRequest,
    submission_key,
    submit_cycle_to_iso,
)

NYISO_ZONE = ZoneInfo("America/New_York")
ERRORS_SHOWN_MAX = 20


@dataclass(frozen=True)
class NyisoPeriod:
    """What the cycle knows about the period to submit. `version` is the settlement version (1, 2, ...)."""

    campus_id: str
    cycle_id: str | None
    period: str
    version: int
    intervals_uri: str
    meters: tuple[IsoMeterRef, ...]
    period_start_utc: datetime
    period_end_utc: datetime
    deadline_utc: datetime | None


def submit_nyiso_period(engine: Engine, period: NyisoPeriod, document_path: Path | str, base_url: str,
                        credentials: IsoCredentials, *, now_utc: datetime, retry: RetryPolicy = RETRY_DEFAULT,
                        dry_run_first: bool = True) -> SubmissionRecord:
    """Build, validate, write to `document_path`, then submit (dry run first unless told otherwise)."""
    key = submission_key(period.campus_id, "NYISO", period.period, period.version)
    document = build_power_metering_document(period.intervals_uri, period.meters, period.period_start_utc,
                                             period.period_end_utc, NYISO_ZONE, user_request_id_for(key))
    errors = validate_power_metering_document(document)
    if errors:
        raise BadInput(f"powerMetering {key}", None, None, "; ".join(errors[:ERRORS_SHOWN_MAX]))
    _write_once(document_path, document, key)
    request = SubmissionRequest(period.campus_id, "NYISO", period.period, period.version, period.cycle_id, document,
                                str(document_path), period.deadline_utc)
    sender = nyiso_sender(base_url, credentials, period.meters, dry_run_first=dry_run_first, retry=retry)
    return submit_cycle_to_iso(engine, request, sender, now_utc=now_utc)


def _write_once(path: Path | str, document: dict[str, Any], key: str) -> None:
    write_bytes_once(path, json.dumps(document, sort_keys=True, indent=1).encode(), key)

"""NYISO Metering API client: submit a powerMetering body and read it back (iso-formats.md §3.4).

Basic auth plus our client certificate on every call. 200 is success; 422 and 400 are rejections of our
content (non-retryable, errors mapped back to our meters); 401/403 are credential problems; 429, 5xx and
network failures retry with backoff and end as IsoUnavailable.
"""

from __future__ import annotations

import copy
import json
import ssl
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx

from market_adapters.common import (
    IsoAuthFailed,
    IsoCredentials,
    IsoMeterRef,
    IsoRecordError,
    IsoRejected,
    IsoUnavailable,
    SubmissionOutcome,
)
from market_adapters.http_retry import (
    RETRY_DEFAULT,
    TIMEOUT_DEFAULT,
    RetryPolicy,
    send_with_retry,
    tls_context,
)
from market_adapters.nyiso.format import COLLECTION_PTID_FIELDS, read_back_time_text
from market_adapters.nyiso.parse import parse_lbmp_csv
from market_adapters.prices import PriceRow

PATH = "/finance/metering/v1/powerMetering"
ISO = "NYISO"
EASTERN = ZoneInfo("America/New_York")
# Which of our roles feed each NYISO collection (see format.py), to map an ISO error back to our meters.
COLLECTION_ROLES = {"generators": {"generation"}, "ties": {"grid_import", "export"},
                    "subzones": {"tenant_consumption", "shared_consumption"}}


def submit_power_metering(base_url: str, credentials: IsoCredentials, doc: dict, *, dry_run: bool,
                          meters: Sequence[IsoMeterRef] = (), retry: RetryPolicy = RETRY_DEFAULT,
                          transport: httpx.BaseTransport | None = None,
                          sleep: Callable[[float], None] = time.sleep) -> SubmissionOutcome:
    """POST `doc` with `doNotCommit = dry_run`. Raises IsoRejected, IsoAuthFailed or IsoUnavailable."""
    body = copy.deepcopy(doc)
    body.setdefault("submissionParameters", {})["doNotCommit"] = dry_run
    with _client(base_url, credentials, transport) as client:
        request = client.build_request("POST", PATH, content=json.dumps(body).encode())
        response = send_with_retry(client, request, ISO, retry, sleep)
    payload = _json(response)
    if response.status_code == 200:
        return _outcome(payload, body, dry_run)
    if response.status_code in (401, 403):
        raise IsoAuthFailed(ISO, f"HTTP {response.status_code}: {payload.get('detail', '')}")
    if response.status_code == 422:
        raise IsoRejected(ISO, 422, rejected_records(payload, meters), payload)
    raise IsoRejected(ISO, response.status_code, [IsoRecordError("request", None, None, None, None,
                                                                 f"HTTP{response.status_code}",
                                                                 str(payload.get("detail", payload)))], payload)


def read_power_metering(base_url: str, credentials: IsoCredentials, *, start_utc: datetime, end_utc: datetime,
                        version: int, retry: RetryPolicy = RETRY_DEFAULT,
                        transport: httpx.BaseTransport | None = None,
                        sleep: Callable[[float], None] = time.sleep) -> dict:
    """Read back what NYISO holds for hours in `[start_utc, end_utc]`; `version` 0 is the latest."""
    params = {"startTime": read_back_time_text(start_utc, EASTERN),
              "endTime": read_back_time_text(end_utc, EASTERN), "version": str(version)}
    with _client(base_url, credentials, transport) as client:
        response = send_with_retry(client, client.build_request("GET", PATH, params=params), ISO, retry, sleep)
    if response.status_code in (401, 403):
        raise IsoAuthFailed(ISO, f"HTTP {response.status_code}")
    payload = _json(response)
    if response.status_code != 200:
        raise IsoRejected(ISO, response.status_code, [], payload)
    return payload


def rejected_records(payload: dict, meters: Sequence[IsoMeterRef]) -> list[IsoRecordError]:
    """Every error of a 422 `failedValidation`, with the meter ids behind each PTID."""
    errors = []
    for collection, records in (payload.get("failedValidation") or {}).items():
        ptid_field = COLLECTION_PTID_FIELDS.get(collection, "")
        for index, record in enumerate(records):
            ptid = record.get(ptid_field)
            owners = sorted(m.meter_id for m in meters
                            if m.iso_meter_id == str(ptid) and m.role in COLLECTION_ROLES.get(collection, ()))
            for message in record.get("errors", []):
                code, _, text = str(message).partition(": ")
                errors.append(IsoRecordError(collection, index, None if ptid is None else str(ptid),
                                             ",".join(owners) or None, record.get("dateHour"), code, text))
    return errors


def _client(base_url: str, credentials: IsoCredentials, transport: httpx.BaseTransport | None) -> httpx.Client:
    headers = {"Accept": "application/json", "Content-Type": "application/json", "Cache-Control": "no-cache"}
    return httpx.Client(base_url=base_url, auth=(credentials.username, credentials.password), headers=headers,
                        timeout=TIMEOUT_DEFAULT, verify=tls_context(credentials), transport=transport)


def _json(response: httpx.Response) -> dict:
    try:
        payload = json.loads(response.content, parse_float=Decimal)
    except ValueError:
        return {"detail": response.text[:500]}
    return payload if isinstance(payload, dict) else {"detail": payload}


def _outcome(payload: dict, body: dict, dry_run: bool) -> SubmissionOutcome:
    summary = payload.get("requestSummary") or {}
    return SubmissionOutcome(
        iso_request_id=str(payload.get("nyisoRequestId", "")),
        user_request_id=str(body["submissionParameters"].get("userRequestId", "")),
        dry_run=dry_run,
        records_submitted=sum(int(counts.get("submitted", 0)) for counts in summary.values()),
        records_accepted=sum(int(counts.get("accepted", 0)) for counts in summary.values()),
        response=json.loads(response_text(payload)),
    )


def response_text(payload: dict) -> str:
    """The ISO's answer as JSON text with numbers kept exact (Decimals printed as they came)."""
    return json.dumps(payload, default=str, sort_keys=True)


STATEMENTS_PATH = "/finance/settlements/v1/statements"


def fetch_statement_documents(base_url: str, credentials: IsoCredentials, operating_day: date, *,
                              retry: RetryPolicy = RETRY_DEFAULT, transport: httpx.BaseTransport | None = None,
                              sleep: Callable[[float], None] = time.sleep) -> list[dict]:
    """Every statement run the ISO has published for `operating_day` (wattledger statement format v1)."""
    with _client(base_url, credentials, transport) as client:
        request = client.build_request("GET", STATEMENTS_PATH, params={"operatingDay": operating_day.isoformat()})
        response = send_with_retry(client, request, ISO, retry, sleep)
    if response.status_code in (401, 403):
        raise IsoAuthFailed(ISO, f"HTTP {response.status_code}")
    payload = response.json()
    if response.status_code != 200 or not isinstance(payload.get("statements"), list):
        raise IsoRejected(ISO, response.status_code, [], payload if isinstance(payload, dict) else {})
    return payload["statements"]


def fetch_damlbmp_zone(base_url: str, operating_day: date, *, verify: ssl.SSLContext | bool = True,
                       retry: RetryPolicy = RETRY_DEFAULT, transport: httpx.BaseTransport | None = None,
                       sleep: Callable[[float], None] = time.sleep) -> list[PriceRow]:
    """The day-ahead zonal LBMP file of `operating_day` from MIS (anonymous), as PriceRows. `verify` is the
    TLS setting (a context carrying a client certificate when the server is the mutual-TLS fake)."""
    path = f"/public/csv/damlbmp/{operating_day:%Y%m%d}damlbmp_zone.csv"
    with httpx.Client(base_url=base_url, timeout=TIMEOUT_DEFAULT, transport=transport, verify=verify) as client:
        response = send_with_retry(client, client.build_request("GET", path), ISO, retry, sleep)
    if response.status_code != 200:
        raise IsoUnavailable(ISO, f"MIS {path}: HTTP {response.status_code}")
    return parse_lbmp_csv(response.text, path, market="DA", stamp_is_end=False, interval_minutes=60,
                          publish_time_utc=None, version=1)

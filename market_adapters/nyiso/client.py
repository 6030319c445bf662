"""NYISO Metering API client: submit a powerMetering body and read it back (iso-formats.md §3.4).

Basic auth plus our client certificate on every call. 200 is success; 422 and 400 are rejections of our
content (non-retryable, errors mapped back to our meters); 401/403 are credential problems; 429, 5xx and
network failures retry with backoff and end as IsoUnavailable.

A commit is never sent blindly (NYISO keeps every resend as a new version, and has no idempotency key): our
records are read back first, and again after any attempt whose answer was lost (read_back.py says how the
reads are judged). Held already: the read is the acceptance and nothing is sent. Unchanged: send (again).
Changed to other values: IsoHoldsOtherValues.
"""

from __future__ import annotations

import copy
import json
import ssl
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from campus import MeterRole
from market_adapters.errors import IsoAuthFailed, IsoRecordError, IsoRejected, IsoUnavailable
from market_adapters.http.retry import (
    RETRY_DEFAULT,
    TIMEOUT_DEFAULT,
    RetryPolicy,
    send_with_read_back,
    send_with_retry,
    tls_context,
)
from market_adapters.model import IsoCredentials, IsoMeterRef, SubmissionOutcome
from market_adapters.nyiso.format import COLLECTION_PTID_FIELDS, read_back_time_text
from market_adapters.nyiso.parse import parse_lbmp_csv
from market_adapters.nyiso.read_back import (
    HeldRecord,
    RecordKey,
    Stored,
    body_values,
    changed_not_ours,
    held_records,
    holds_ours,
    read_back_scope,
    stored_after_unknown_outcome,
)
from market_adapters.prices import PriceRow

PATH = "/finance/metering/v1/powerMetering"
ISO = "NYISO"
EASTERN = ZoneInfo("America/New_York")
OurValues = dict[RecordKey, dict[str, Decimal]]  # our body's records, as `read_back.body_values` keys them
# Which of our roles feed each NYISO collection (see format.py), to map an ISO error back to our meters.
COLLECTION_ROLES = {"generators": {MeterRole.GENERATION}, "ties": {MeterRole.GRID_IMPORT, MeterRole.EXPORT},
                    "subzones": {MeterRole.TENANT, MeterRole.SHARED}}


class IsoHoldsOtherValues(IsoRejected):
    """After a send whose answer was lost, NYISO holds values for our records that are neither ours nor what
    it held before: someone else wrote them. Not retryable: whether to overwrite is the operator's call."""

    http_status = 409

    def __init__(self, keys: list[RecordKey], held: dict[RecordKey, HeldRecord]) -> None:
        errors = []
        for collection, ptid, hour_utc in keys:
            record = held.get((collection, ptid, hour_utc))
            found = "nothing" if record is None else f"{record.measures} (version {record.version})"
            errors.append(IsoRecordError(collection, None, str(ptid), None, hour_utc.astimezone(EASTERN).isoformat(),
                                         "HELD_OTHER", f"NYISO holds {found}, written by another request"))
        super().__init__(ISO, 409, errors, {"heldOther": len(keys)})


def submit_power_metering(base_url: str, credentials: IsoCredentials, doc: dict[str, Any], *, dry_run: bool,
                          meters: Sequence[IsoMeterRef] = (), retry: RetryPolicy = RETRY_DEFAULT,
                          transport: httpx.BaseTransport | None = None,
                          sleep: Callable[[float], None] = time.sleep) -> SubmissionOutcome:
    """POST `doc` with `doNotCommit = dry_run`. Raises IsoRejected, IsoAuthFailed or IsoUnavailable."""
    body = copy.deepcopy(doc)
    body.setdefault("submissionParameters", {})["doNotCommit"] = dry_run
    ours = body_values(body)
    with _client(base_url, credentials, transport) as client:
        if dry_run or not ours:
            request = client.build_request("POST", PATH, content=json.dumps(body).encode())
            response = send_with_retry(client, request, ISO, retry, sleep)
        else:
            result = _commit(client, body, ours, retry, sleep)
            if isinstance(result, SubmissionOutcome):
                return result
            response = result
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


def _commit(client: httpx.Client, body: dict[str, Any], ours: OurValues, retry: RetryPolicy,
            sleep: Callable[[float], None]) -> httpx.Response | SubmissionOutcome:
    """Read, then send unless NYISO holds our values already; after a lost answer, read again before resending."""
    before = _read_held(client, ours, retry, sleep)
    if holds_ours(ours, before):
        return _held_outcome(body, ours, before)

    def read_back() -> SubmissionOutcome | None:
        return _settle_unknown_outcome(client, body, ours, before, retry, sleep)

    request = client.build_request("POST", PATH, content=json.dumps(body).encode())
    return send_with_read_back(client, request, ISO, retry, sleep, read_back)


def _settle_unknown_outcome(client: httpx.Client, body: dict[str, Any], ours: OurValues,
                            before: dict[RecordKey, HeldRecord],
                            retry: RetryPolicy, sleep: Callable[[float], None]) -> SubmissionOutcome | None:
    """After a lost answer: our acceptance if NYISO holds our values, None if nothing changed (send again)."""
    after = _read_held(client, ours, retry, sleep)
    stored = stored_after_unknown_outcome(ours, before, after)
    if stored is Stored.OURS:
        return _held_outcome(body, ours, after)
    if stored is Stored.OTHER:
        raise IsoHoldsOtherValues(changed_not_ours(ours, before, after), after)
    return None


def _read_held(client: httpx.Client, ours: OurValues, retry: RetryPolicy,
               sleep: Callable[[float], None]) -> dict[RecordKey, HeldRecord]:
    """The latest version NYISO holds of each of our records (read errors raise: no read, no send)."""
    scope = read_back_scope(ours)
    params: dict[str, str | list[str]] = {
        "startTime": read_back_time_text(scope.first_hour_start_utc, EASTERN),
        "endTime": read_back_time_text(scope.last_hour_start_utc, EASTERN), "version": "0"}
    for collection, ptids in scope.ptids.items():
        params[COLLECTION_PTID_FIELDS[collection]] = [str(ptid) for ptid in ptids]
    return held_records(_get_power_metering(client, params, retry, sleep))


def _held_outcome(body: dict[str, Any], ours: OurValues,
                  held: dict[RecordKey, HeldRecord]) -> SubmissionOutcome:
    # NYISO's read API returns no nyisoRequestId, so the acceptance is the read itself: each record's
    # version and maUpdateTime as NYISO reported them.
    records = [{"collection": collection, "ptid": ptid, "hourStartUtc": hour_utc.isoformat(),
                "version": held[(collection, ptid, hour_utc)].version,
                "maUpdateTime": held[(collection, ptid, hour_utc)].updated_at_text}
               for collection, ptid, hour_utc in sorted(ours)]
    user_request_id = str(body["submissionParameters"].get("userRequestId", ""))
    return SubmissionOutcome(iso_request_id="", user_request_id=user_request_id,
                             dry_run=False, records_submitted=len(ours), records_accepted=len(ours),
                             response={"heldAtIso": records})


def read_power_metering(base_url: str, credentials: IsoCredentials, *, start_utc: datetime, end_utc: datetime,
                        version: int, retry: RetryPolicy = RETRY_DEFAULT,
                        transport: httpx.BaseTransport | None = None,
                        sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Read back what NYISO holds for hours in `[start_utc, end_utc]`; `version` 0 is the latest."""
    params: dict[str, str | list[str]] = {"startTime": read_back_time_text(start_utc, EASTERN),
                                          "endTime": read_back_time_text(end_utc, EASTERN), "version": str(version)}
    with _client(base_url, credentials, transport) as client:
        return _get_power_metering(client, params, retry, sleep)


def _get_power_metering(client: httpx.Client, params: dict[str, str | list[str]], retry: RetryPolicy,
                        sleep: Callable[[float], None]) -> dict[str, Any]:
    """One read-back GET: the JSON answer, or IsoAuthFailed (401/403) / IsoRejected (any other non-200)."""
    response = send_with_retry(client, client.build_request("GET", PATH, params=params), ISO, retry, sleep)
    if response.status_code in (401, 403):
        raise IsoAuthFailed(ISO, f"HTTP {response.status_code}")
    payload = _json(response)
    if response.status_code != 200:
        raise IsoRejected(ISO, response.status_code, [], payload)
    return payload


def rejected_records(payload: dict[str, Any], meters: Sequence[IsoMeterRef]) -> list[IsoRecordError]:
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


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = json.loads(response.content, parse_float=Decimal)
    except ValueError:
        return {"detail": response.text[:500]}
    return payload if isinstance(payload, dict) else {"detail": payload}


def _outcome(payload: dict[str, Any], body: dict[str, Any], dry_run: bool) -> SubmissionOutcome:
    summary = payload.get("requestSummary") or {}
    return SubmissionOutcome(
        iso_request_id=str(payload.get("nyisoRequestId", "")),
        user_request_id=str(body["submissionParameters"].get("userRequestId", "")),
        dry_run=dry_run,
        records_submitted=sum(int(counts.get("submitted", 0)) for counts in summary.values()),
        records_accepted=sum(int(counts.get("accepted", 0)) for counts in summary.values()),
        response=json.loads(response_text(payload)),
    )


def response_text(payload: dict[str, Any]) -> str:
    """The ISO's answer as JSON text with numbers kept exact (Decimals printed as they came)."""
    return json.dumps(payload, default=str, sort_keys=True)


STATEMENTS_PATH = "/finance/settlements/v1/statements"


def fetch_statement_documents(base_url: str, credentials: IsoCredentials, operating_day: date, *,
                              retry: RetryPolicy = RETRY_DEFAULT, transport: httpx.BaseTransport | None = None,
                              sleep: Callable[[float], None] = time.sleep) -> list[dict[str, Any]]:
    """Every statement run the ISO has published for `operating_day` (wattledger statement format v1)."""
    with _client(base_url, credentials, transport) as client:
        request = client.build_request("GET", STATEMENTS_PATH, params={"operatingDay": operating_day.isoformat()})
        response = send_with_retry(client, request, ISO, retry, sleep)
    if response.status_code in (401, 403):
        raise IsoAuthFailed(ISO, f"HTTP {response.status_code}")
    payload = response.json()
    if response.status_code != 200 or not isinstance(payload.get("statements"), list):
        raise IsoRejected(ISO, response.status_code, [], payload if isinstance(payload, dict) else {})
    statements: list[dict[str, Any]] = payload["statements"]
    return statements


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

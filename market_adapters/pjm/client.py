"""PJM clients: SSO token, Power Meter upload with acknowledgement, Data Miner 2 LMP paging (iso-formats.md §3.2,
§5.3). Custom clients present a client certificate too; `credentials` carries it.

Data Miner pages are followed through `links[rel=next]` up to `pages_max`; more pages than that is an error
rather than a silent truncation.
"""

from __future__ import annotations

import json
import re
import ssl
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from common.errors import BadInput, DomainError
from market_adapters.errors import IsoAuthFailed, IsoUnavailable
from market_adapters.http.file_upload import outcome_or_rejection, upload_file
from market_adapters.http.retry import (
    RETRY_DEFAULT,
    TIMEOUT_DEFAULT,
    RetryPolicy,
    send_with_retry,
    tls_context,
)
from market_adapters.model import IsoCredentials, IsoMeterRef, SubmissionOutcome
from market_adapters.pjm.parse import parse_lmp_items
from market_adapters.pjm.power_meter import PowerMeterFile
from market_adapters.pjm.power_meter_xml import DAILY_SUBMISSION_PATH
from market_adapters.pjm.query import data_miner_ept_range
from market_adapters.prices import PriceRow

ISO = "PJM"
SSO_PATH = "/access/authenticate/"
_ACCOUNT_ID = re.compile(r"<meterAccountID>([^<]*)</meterAccountID>")


class PageLimitExceeded(DomainError):
    def __init__(self, feed: str, pages_max: int) -> None:
        super().__init__(f"{feed}: more than {pages_max} pages; narrow the time range")


def sso_token(base_url: str, credentials: IsoCredentials, *, retry: RetryPolicy = RETRY_DEFAULT,
              transport: httpx.BaseTransport | None = None, sleep: Callable[[float], None] = time.sleep) -> str:
    headers = {"X-OpenAM-Username": credentials.username, "X-OpenAM-Password": credentials.password}
    with httpx.Client(base_url=base_url, timeout=TIMEOUT_DEFAULT, verify=tls_context(credentials),
                      transport=transport) as client:
        response = send_with_retry(client, client.build_request("POST", SSO_PATH, headers=headers), ISO, retry, sleep)
    if response.status_code != 200 or "tokenId" not in response.json():
        raise IsoAuthFailed(ISO, f"SSO answered HTTP {response.status_code}")
    return str(response.json()["tokenId"])


def upload_power_meter(base_url: str, credentials: IsoCredentials, token: str, upload: PowerMeterFile,
                       meters: Sequence[IsoMeterRef], *, retry: RetryPolicy = RETRY_DEFAULT,
                       transport: httpx.BaseTransport | None = None,
                       sleep: Callable[[float], None] = time.sleep) -> SubmissionOutcome:
    """Upload an hourly `MeterValues` XML to the daily-submission endpoint with the `pjmauth` cookie; REJECTED
    raises IsoRejected naming our meters. PJM takes CSV only for five-minute values, so a CSV is refused here."""
    if not upload.file_name.lower().endswith(".xml"):
        raise BadInput(upload.file_name, None, "file_name", "PJM takes hourly meter values as XML (the daily "
                       "submission); CSV uploads are for five-minute values only")
    with httpx.Client(base_url=base_url, timeout=TIMEOUT_DEFAULT, verify=tls_context(credentials),
                      cookies={"pjmauth": token}, transport=transport) as client:
        ack = upload_file(client, DAILY_SUBMISSION_PATH, ISO, upload.file_name, upload.text, retry, sleep)
    return outcome_or_rejection(ISO, ack, _account_by_line(upload.text, meters))


def _account_by_line(text: str, meters: Sequence[IsoMeterRef]) -> dict[int, tuple[str, str]]:
    """Each line of the XML -> (account, our meter) of the `meterAccount` it sits in, so that an
    acknowledgement's line names our meter."""
    owners = {meter.iso_meter_id: meter.meter_id for meter in meters}
    by_line: dict[int, tuple[str, str]] = {}
    account = ""
    for number, line in enumerate(text.splitlines(), start=1):
        found = _ACCOUNT_ID.search(line)
        account = found.group(1).strip() if found else account
        if account:
            by_line[number] = (account, owners.get(account, ""))
    return by_line


def fetch_lmps(base_url: str, subscription_key: str, feed: str, start_utc: datetime, end_utc: datetime, *,
               rows_per_page: int, pages_max: int, verify: ssl.SSLContext | bool = True,
               retry: RetryPolicy = RETRY_DEFAULT,
               transport: httpx.BaseTransport | None = None,
               sleep: Callable[[float], None] = time.sleep) -> list[PriceRow]:
    """All versions of `feed` LMPs for intervals beginning in [start_utc, end_utc)."""
    params = {"rowCount": str(rows_per_page), "startRow": "1",
              "datetime_beginning_ept": data_miner_ept_range(start_utc, end_utc)}
    rows: list[PriceRow] = []
    url: str | None = f"/api/v1/{feed}"
    with httpx.Client(base_url=base_url, timeout=TIMEOUT_DEFAULT, verify=verify, transport=transport,
                      headers={"Ocp-Apim-Subscription-Key": subscription_key}) as client:
        for page in range(pages_max + 1):
            if url is None:
                return rows
            if page == pages_max:
                raise PageLimitExceeded(feed, pages_max)
            request = client.build_request("GET", url, params=params if page == 0 else None)
            payload = _page(client, request, retry, sleep)
            rows += parse_lmp_items(payload["items"], feed, str(request.url), first_row=len(rows) + 1)
            url = next((link["href"] for link in payload.get("links", []) if link.get("rel") == "next"), None)
    return rows


def _page(client: httpx.Client, request: httpx.Request, retry: RetryPolicy,
          sleep: Callable[[float], None]) -> dict[str, Any]:
    response = send_with_retry(client, request, ISO, retry, sleep)
    if response.status_code in (401, 403):
        raise IsoAuthFailed(ISO, f"Data Miner answered HTTP {response.status_code}")
    if response.status_code != 200:
        raise IsoUnavailable(ISO, f"Data Miner answered HTTP {response.status_code}")
    try:
        payload = json.loads(response.content, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:  # e.g. a CSV export answered instead of JSON
        raise BadInput(str(request.url), getattr(error, "lineno", None), None,
                       f"Data Miner answered with something that is not JSON ({error}); its CSV exports are read "
                       "by the pjm-csv price format") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        raise BadInput(str(request.url), None, "items", "Data Miner answered JSON without an `items` list")
    checked: dict[str, Any] = payload
    return checked

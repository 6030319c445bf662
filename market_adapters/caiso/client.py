"""CAISO OASIS client: SingleZip PRC_LMP CSV requests, paced to OASIS's one request per ~5 seconds.

OASIS answers 429 with an HTML body when called too fast; we keep our own pace so that rarely happens, and
the shared retry loop backs off when it does. Error payloads arrive as HTTP 200 ZIPs and raise typed errors.
An answer cut short (not a whole ZIP, XML not well formed) is asked for again, at the same pace, at most
`malformed_attempts_max` times in all; then `OasisMalformedResponse` names the report and the parse position.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from market_adapters.caiso.format import oasis_time_text
from market_adapters.caiso.parse import OasisMalformedResponse, parse_price_csv, read_oasis_zip
from market_adapters.errors import IsoUnavailable
from market_adapters.http.retry import RETRY_DEFAULT, TIMEOUT_DEFAULT, RetryPolicy, send_with_retry
from market_adapters.prices import PriceRow

ISO = "CAISO"
PATH = "/oasisapi/SingleZip"
PRC_LMP_VERSION = "12"
MALFORMED_ATTEMPTS_DEFAULT = 3


@dataclass
class OasisPacer:
    """Waits so that two requests are at least `min_interval_s` apart (OASIS allows about one per 5 s)."""

    min_interval_s: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    last_request_s: float | None = field(default=None)

    def wait(self) -> None:
        if self.last_request_s is not None:
            remaining_s = self.min_interval_s - (self.clock() - self.last_request_s)
            if remaining_s > 0:
                self.sleep(remaining_s)
        self.last_request_s = self.clock()


def fetch_prc_lmp(base_url: str, market_run_id: str, node: str, start_utc: datetime, end_utc: datetime, *,
                  pacer: OasisPacer, verify: ssl.SSLContext | bool = True, retry: RetryPolicy = RETRY_DEFAULT,
                  transport: httpx.BaseTransport | None = None, sleep: Callable[[float], None] = time.sleep,
                  malformed_attempts_max: int = MALFORMED_ATTEMPTS_DEFAULT) -> list[PriceRow]:
    """PRC_LMP for one node over [start_utc, end_utc) (at most 31 days, OASIS's limit)."""
    assert malformed_attempts_max >= 1, "at least one attempt"
    report = "PRC_LMP"
    params = {"queryname": report, "market_run_id": market_run_id, "startdatetime": oasis_time_text(start_utc),
              "enddatetime": oasis_time_text(end_utc), "version": PRC_LMP_VERSION, "resultformat": "6", "node": node}
    with httpx.Client(base_url=base_url, timeout=TIMEOUT_DEFAULT, verify=verify, transport=transport) as client:
        for attempt in range(1, malformed_attempts_max + 1):
            pacer.wait()
            response = send_with_retry(client, client.build_request("GET", PATH, params=params), ISO, retry, sleep)
            if response.status_code != 200:
                raise IsoUnavailable(ISO, f"OASIS answered HTTP {response.status_code}")
            try:
                return _prices(response.content, f"{report} {node} {params['startdatetime']}")
            except OasisMalformedResponse as error:
                if attempt == malformed_attempts_max:
                    raise OasisMalformedResponse(error.report, error.position,
                                                 f"{error.detail}; {attempt} attempts") from error
    raise AssertionError("unreachable: the loop returns or raises")


def _prices(content: bytes, source: str) -> list[PriceRow]:
    rows: list[PriceRow] = []
    for name, data in read_oasis_zip(content, source):
        if name.lower().endswith(".csv"):
            rows += parse_price_csv(data.decode("utf-8-sig"), f"{source}:{name}")
    return rows

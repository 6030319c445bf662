"""One bounded retry loop for ISO HTTP calls: 429 and 5xx and transport errors retry with backoff.

Every other answer goes back to the caller, which decides what it means. After `attempts_max` tries the
last failure becomes `IsoUnavailable` (retryable at the workflow level, where Temporal's own policy takes over).

A call that changes state at the ISO can fail with its outcome unknown: the request went out and the answer
did not come back. `send_with_read_back` then asks the caller's `read_back` before trying again, so a commit
whose answer was lost is recognised instead of being sent a second time.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx

from market_adapters.errors import IsoUnavailable
from market_adapters.model import IsoCredentials

RETRY_STATUS_CODES = frozenset({429, 500, 502, 503, 504})
# A gateway that answers 502 or 504 may have passed the request on before losing the ISO's answer.
OUTCOME_UNKNOWN_STATUS_CODES = frozenset({502, 504})
# These fail before a byte of the request is sent: the ISO cannot have acted on it.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
Settled = TypeVar("Settled")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one ISO call is retried inside one activity attempt."""

    attempts_max: int
    backoff_initial_s: float
    backoff_max_s: float


RETRY_DEFAULT = RetryPolicy(attempts_max=4, backoff_initial_s=0.5, backoff_max_s=8.0)
# Submissions are a few MB at most; a minute is generous for NYISO's synchronous validation.
TIMEOUT_DEFAULT = httpx.Timeout(60.0, connect=10.0)


def tls_context(credentials: IsoCredentials) -> ssl.SSLContext | bool:
    """An SSL context with our client certificate and the ISO's CA, or True for system defaults."""
    if credentials.client_cert_path is None and credentials.ca_bundle_path is None:
        return True
    context = ssl.create_default_context(cafile=credentials.ca_bundle_path)
    if credentials.client_cert_path is not None:
        context.load_cert_chain(credentials.client_cert_path, credentials.client_key_path)
    return context


def send_with_retry(client: httpx.Client, request: httpx.Request, iso: str, retry: RetryPolicy,
                    sleep: Callable[[float], None]) -> httpx.Response:
    """Send `request`, retrying throttling, server faults and transport errors up to `retry.attempts_max`."""
    result = _send_loop(client, request, iso, retry, sleep, None)
    assert isinstance(result, httpx.Response)
    return result


def send_with_read_back(client: httpx.Client, request: httpx.Request, iso: str, retry: RetryPolicy,
                        sleep: Callable[[float], None],
                        read_back: Callable[[], Settled | None]) -> httpx.Response | Settled:
    """`send_with_retry`, except that after an attempt whose outcome is unknown `read_back()` runs first: a
    value means the ISO already holds what we sent (returned as is, nothing resent); None means it does
    not and the loop goes on. `read_back` raises if the ISO holds something else, or cannot be read."""
    return _send_loop(client, request, iso, retry, sleep, read_back)


def _send_loop(client: httpx.Client, request: httpx.Request, iso: str, retry: RetryPolicy,
               sleep: Callable[[float], None],
               read_back: Callable[[], Settled | None] | None) -> httpx.Response | Settled:
    last_reason = "no attempt made"
    retry_after_s: float | None = None
    for attempt in range(retry.attempts_max):
        retry_after_s = None
        outcome_unknown = False
        try:
            response = client.send(request)
        except httpx.TransportError as error:
            last_reason = f"{type(error).__name__}: {error}"
            outcome_unknown = not isinstance(error, NOT_SENT_ERRORS)
        else:
            if response.status_code not in RETRY_STATUS_CODES:
                return response
            last_reason = f"HTTP {response.status_code}"
            retry_after_s = _retry_after_s(response)
            outcome_unknown = response.status_code in OUTCOME_UNKNOWN_STATUS_CODES
        if outcome_unknown and read_back is not None:
            settled = read_back()
            if settled is not None:
                return settled
        if attempt + 1 < retry.attempts_max:
            backoff_s = min(retry.backoff_max_s, retry.backoff_initial_s * 2**attempt)
            sleep(min(retry.backoff_max_s, retry_after_s) if retry_after_s is not None else backoff_s)
    # The ISO's last Retry-After travels with the error so the workflow's retry can wait that long.
    raise IsoUnavailable(iso, f"{last_reason} after {retry.attempts_max} attempts", retry_after_s)


def _retry_after_s(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["retry-after"])
    except (KeyError, ValueError):
        return None

"""One bounded retry loop for ISO HTTP calls: 429 and 5xx and transport errors retry with backoff.

Every other answer goes back to the caller, which decides what it means. After `attempts_max` tries the
last failure becomes `IsoUnavailable` (retryable at the workflow level, where Temporal's own policy takes over).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from market_adapters.common import IsoCredentials, IsoUnavailable

RETRY_STATUS_CODES = frozenset({429, 500, 502, 503, 504})


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
    last_reason = "no attempt made"
    retry_after_s: float | None = None
    for attempt in range(retry.attempts_max):
        retry_after_s = None
        try:
            response = client.send(request)
        except httpx.TransportError as error:
            last_reason = f"{type(error).__name__}: {error}"
        else:
            if response.status_code not in RETRY_STATUS_CODES:
                return response
            last_reason = f"HTTP {response.status_code}"
            retry_after_s = _retry_after_s(response)
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

"""The gate in front of the fake's NYISO endpoints: injected faults and throttling first, then basic auth and
the metering privilege. The file drops check the same basic credentials."""

from __future__ import annotations

import base64
import binascii

from fastapi import Request
from fastapi.responses import JSONResponse

from devtools.fake_iso.state import FakeIsoState


def refusal_for(state: FakeIsoState, request: Request) -> JSONResponse | None:
    """The answer that stops this request before the endpoint runs, or None to let it through."""
    state.requests_seen.append(f"{request.method} {request.url.path}")
    fault = state.take_fault()
    if fault == 429:
        return JSONResponse({"detail": "too many requests"}, status_code=429, headers={"Retry-After": "1"})
    if fault is not None:
        return problem(fault, "injected fault")
    user = basic_user(request.headers.get("authorization", ""))
    if user is None or state.users.get(user[0]) != user[1]:
        return JSONResponse({"detail": "unauthorized"}, status_code=401, headers={"WWW-Authenticate": "Basic"})
    if user[0] not in state.metering_users:
        return problem(403, f"user {user[0]} has no metering privilege")
    return None


def basic_user(header: str) -> tuple[str, str] | None:
    """(username, password) of an `Authorization: Basic ...` header, or None when it is absent or malformed."""
    if not header.lower().startswith("basic "):
        return None
    try:
        username, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return username, password


def problem(status_code: int, detail: str) -> JSONResponse:
    return JSONResponse({"status": status_code, "detail": detail}, status_code=status_code)

"""The fake ISO's file drops with acknowledgement files: ERCOT LSE over a NAESB-EDM-like upload and PJM
Power Meter (the daily-submission MeterValues XML) behind a PJM-style SSO token (iso-formats.md §8).

Checks are the fake's own (written apart from our formatters) and each carries a stable code, line and field.
A file with any error is REJECTED as a whole; nothing of it is kept.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import JSONResponse

from devtools.fake_iso.access import basic_user
from devtools.fake_iso.state import FakeIsoState
from market_adapters.pjm import DAILY_SUBMISSION_PATH, pjm_power_meter_deadline_utc

CENTRAL = ZoneInfo("America/Chicago")
EASTERN = ZoneInfo("America/New_York")
LSE_NAME = re.compile(r"^(\d{9}|\d{13})IntervalData\d{14}\d{3}\.lse")
UPLOAD_BYTES_MAX = 15 * 1024 * 1024
PM_ELEMENT = re.compile(r"<(meterAccountID|startDate|endDate|mw)>([^<]*)</")


def file_drop_router(state: FakeIsoState) -> APIRouter:
    router = APIRouter()

    @router.post("/edm/upload")
    async def ercot_upload(request: Request, file: UploadFile) -> JSONResponse:
        fault = state.take_fault()
        if fault is not None:
            return JSONResponse({"detail": "injected fault"}, status_code=fault, headers={"Retry-After": "1"})
        user = basic_user(request.headers.get("authorization", ""))
        if user is None or state.users.get(user[0]) != user[1]:
            return JSONResponse({"detail": "unauthorized"}, status_code=401)
        data = await file.read(UPLOAD_BYTES_MAX + 1)
        errors, records = _check_lse(state, file.filename or "", data)
        return JSONResponse(_ack(state, file.filename or "", records, errors))

    @router.post("/access/authenticate/")
    async def sso(request: Request) -> JSONResponse:
        username = request.headers.get("x-openam-username", "")
        if not username or state.users.get(username) != request.headers.get("x-openam-password"):
            return JSONResponse({"code": 401, "reason": "Unauthorized"}, status_code=401)
        token = secrets.token_hex(16)
        with state.lock:
            state.pjm_tokens[token] = username
        return JSONResponse({"tokenId": token, "successUrl": "/"})

    @router.post(DAILY_SUBMISSION_PATH)
    async def power_meter_daily_submission(request: Request, file: UploadFile) -> JSONResponse:
        if request.cookies.get("pjmauth") not in state.pjm_tokens:
            return JSONResponse({"detail": "missing or unknown pjmauth token"}, status_code=401)
        data = await file.read(UPLOAD_BYTES_MAX + 1)
        errors, records = _check_meter_values(state, data)
        return JSONResponse(_ack(state, file.filename or "", records, errors))

    return router


def _ack(state: FakeIsoState, file_name: str, records: int, errors: list[dict[str, Any]]) -> dict[str, Any]:
    ack = {"file_name": file_name, "received_at": state.clock_utc().isoformat(),
           "status": "REJECTED" if errors else "ACCEPTED", "records_total": records,
           "records_accepted": 0 if errors else records, "errors": errors}
    with state.lock:
        state.uploads.append(ack)
    return ack


def _error(line: int | None, field: str | None, code: str, message: str) -> dict[str, Any]:
    return {"line": line, "field": field, "code": code, "message": message}


def _check_lse(state: FakeIsoState, file_name: str, data: bytes) -> tuple[list[dict[str, Any]], int]:
    if ".lse" not in file_name or ".csv" in file_name.lower() or not LSE_NAME.match(file_name):
        return [_error(None, "file_name", "E001", "name must be <DUNS 9|13>IntervalData<stamp><NNN>.lse")], 0
    if len(data) > UPLOAD_BYTES_MAX:
        return [_error(None, None, "E009", "file larger than 15 MB")], 0
    lines = data.decode("utf-8", errors="replace").splitlines()
    errors: list[dict[str, Any]] = []
    header = lines[0].split(",") if lines else []
    if len(header) != 7 or header[0] != "00000001":
        errors.append(_error(1, "sort code", "E003", "header 1 needs 7 fields starting 00000001"))
    elif header[1] not in state.ercot_esi_ids:
        errors.append(_error(1, "ESI ID", "E005", f"ESI ID {header[1]} is not registered"))
    if len(lines) < 2 or lines[1].split(",")[0] != "00000002":
        errors.append(_error(2, "sort code", "E004", "second row must start 00000002"))
    for number, line in enumerate(lines[2:], start=3):
        errors += _check_lse_day(number, line.split(","))
    return errors, max(len(lines) - 2, 0)


def _check_lse_day(number: int, cells: list[str]) -> list[dict[str, Any]]:
    if cells[0] != "00000003" or len(cells) < 3:
        return [_error(number, "sort code", "E004", "detail rows start 00000003")]
    try:
        day = datetime.strptime(cells[1], "%Y%m%d").date()
    except ValueError:
        return [_error(number, "date", "E006", "date must be YYYYMMDD")]
    start = datetime.combine(day, time(0), CENTRAL).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), CENTRAL).astimezone(UTC)
    count = int((end - start).total_seconds() // 900)
    if len(cells) - 3 != count:
        return [_error(number, "interval count", "E003", f"{day} has {count} intervals, row has {len(cells) - 3}")]
    errors = []
    for index, cell in enumerate(cells[3:], start=1):
        if cell == "":
            continue
        try:
            if Decimal(cell) < 0:
                errors.append(_error(number, f"value {index}", "E007", "negative kWh"))
        except InvalidOperation:
            errors.append(_error(number, f"value {index}", "E007", f"not a number: {cell!r}"))
    return errors


def _check_meter_values(state: FakeIsoState, data: bytes) -> tuple[list[dict[str, Any]], int]:
    """A daily-submission MeterValues XML, read line by line (one element per line, as PJM's samples are)."""
    lines = data.decode("utf-8", errors="replace").splitlines()
    if not any("<MeterValues" in line or ":MeterValues" in line for line in lines[:3]):
        return [_error(1, None, "P001", "the document must be MeterValues")], 0
    errors: list[dict[str, Any]] = []
    account, start, records = "", None, 0
    seen: set[tuple[str, datetime]] = set()
    for number, line in enumerate(lines, start=1):
        tag = PM_ELEMENT.search(line)
        if tag is None:
            continue
        name, text = tag.group(1), tag.group(2).strip()
        if name == "meterAccountID":
            account = text
            if account not in state.pjm_meter_accounts:
                errors.append(_error(number, "meterAccountID", "P002", f"unknown meter account {account}"))
        elif name in ("startDate", "endDate"):
            instant = _eastern_instant(text)
            if instant is None:
                errors.append(_error(number, name, "P001", f"{text!r} is not Eastern time with its offset"))
                continue
            if name == "startDate":
                start = instant
            elif start is None or instant - start != timedelta(hours=1) or (account, start) in seen:
                errors.append(_error(number, name, "P003", "not one hour after startDate, or a duplicate hour"))
        elif name == "mw" and start is not None:
            records += 1
            seen.add((account, start))
            errors += _check_mw(state, number, text, start)
    return errors, records


def _eastern_instant(text: str) -> datetime | None:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return None
    if instant.tzinfo is None or instant.utcoffset() != instant.astimezone(EASTERN).utcoffset():
        return None
    return instant


def _check_mw(state: FakeIsoState, number: int, text: str, start: datetime) -> list[dict[str, Any]]:
    try:
        if Decimal(text) != Decimal(text).quantize(Decimal("0.001")):
            return [_error(number, "mw", "P004", "more than 3 decimals")]
    except InvalidOperation:
        return [_error(number, "mw", "P004", f"not a number: {text!r}")]
    operating_day = start.astimezone(EASTERN).date()
    if state.clock_utc() > pjm_power_meter_deadline_utc(operating_day):
        return [_error(number, "startDate", "P005", f"{operating_day} is past its submission deadline")]
    return []

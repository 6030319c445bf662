"""One place that maps domain errors to HTTP: the error's own status, its message as `detail`."""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from common.errors import BadInput, DomainError


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    body: dict[str, Any] = {"detail": str(error), "type": type(error).__name__}
    if isinstance(error, BadInput):
        body.update(source=error.source, line=error.line, field=error.field)
        problems = getattr(error, "problems", None)  # a file with several problems lists them all
        if problems:
            body["problems"] = [{"line": p.line, "field": p.field, "reason": p.reason} for p in problems]
    return JSONResponse(status_code=error.http_status, content=body)


async def _update_refused(request: Request, error: Exception) -> JSONResponse:
    # The workflow's validator refused the update (wrong phase, role or duplicate approver).
    assert isinstance(error, WorkflowUpdateFailedError)
    cause = error.cause
    message = getattr(cause, "message", None) or str(cause or error)
    return JSONResponse(status_code=409, content={"detail": message, "type": "UpdateRefused"})


async def _rpc_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RPCError)
    if error.status == RPCStatusCode.NOT_FOUND:
        return JSONResponse(status_code=404, content={"detail": error.message, "type": "NotFound"})
    return JSONResponse(status_code=503, content={"detail": error.message, "type": "TemporalUnavailable"})


def _json_safe(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    # FastAPI's default 422 echoes the input, and JSON has no NaN or Infinity and no raw bytes: a body such as
    # {"a": Infinity} (which Python's json accepts) or non-UTF-8 bytes would turn the 422 into a 500.
    assert isinstance(error, RequestValidationError)
    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(_json_safe(list(error.errors())))})


async def _unstorable_value(request: Request, error: Exception) -> JSONResponse:
    # PostgreSQL refused a value the caller sent (a NUL character in text, a number beyond bigint, a malformed
    # date): the request is at fault, nothing was written (the transaction rolled back). The driver's one-line
    # reason is shown; the SQL and its parameters are not.
    assert isinstance(error, DataError)
    reason = str(error.orig).splitlines()[0] if error.orig is not None else "value out of range"
    return JSONResponse(status_code=400, content={"detail": f"value not accepted: {reason}", "type": "BadInput"})


# SQLSTATE class 23 (integrity constraint violation) -> what the caller did wrong.
INTEGRITY_STATUS = {"23503": (422, "refers to a record that does not exist"), "23505": (409, "already exists"),
                    "23514": (422, "breaks a rule on stored values"), "23502": (422, "lacks a required value")}


async def _constraint_refused(request: Request, error: Exception) -> JSONResponse:
    # A constraint refused the write, so nothing was stored (the transaction rolled back). A route that did
    # not check first (an unknown campus id, a duplicate key) answers 4xx naming the constraint, not a 500.
    assert isinstance(error, IntegrityError)
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    status, meaning = INTEGRITY_STATUS.get(sqlstate, (409, "conflicts with stored data"))
    constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None) or "a constraint"
    return JSONResponse(status_code=status, content={"detail": f"the request {meaning} ({constraint})",
                                                     "type": "ConstraintRefused"})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(IntegrityError, _constraint_refused)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(DataError, _unstorable_value)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(WorkflowUpdateFailedError, _update_refused)
    app.add_exception_handler(RPCError, _rpc_error)

"""One place that maps domain errors to HTTP: the error's own status, its message as `detail`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from common.errors import BadInput, DomainError


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    body: dict = {"detail": str(error), "type": type(error).__name__}
    if isinstance(error, BadInput):
        body.update(source=error.source, line=error.line, field=error.field)
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


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(WorkflowUpdateFailedError, _update_refused)
    app.add_exception_handler(RPCError, _rpc_error)

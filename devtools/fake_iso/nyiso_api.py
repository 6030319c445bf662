"""The fake NYISO Metering API: `POST/GET /finance/metering/v1/powerMetering` (iso-formats.md §3.4, §8).

Basic auth on every call (client certificates are enforced by the TLS layer when the runner is given a PKI).
All-or-nothing: one failed record rejects the request with 422 and nothing is stored. `doNotCommit` validates
only. An accepted record overwrites the same PTID and hour as a new version; GET reads back version 0 =
latest, or a given version. Like NYISO's, the read API has no `userRequestId` filter: time range, PTIDs,
`meterDataType` and `version` only.

`FakeIsoState.lose_commit_answers` plays the lost answer: the commit is stored, then the connection drops
partway through the response, which the client sees as a protocol error with the outcome unknown.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from devtools.fake_iso.access import problem, refusal_for
from devtools.fake_iso.nyiso_rules import (
    COLLECTIONS,
    EASTERN,
    RECORDS_MAX,
    CheckedRecord,
    check_collection,
)
from devtools.fake_iso.state import FakeIsoState, StoredMeterValue

PATH = "/finance/metering/v1/powerMetering"
USER_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,30}$")


def nyiso_router(state: FakeIsoState) -> APIRouter:
    router = APIRouter()

    @router.post(PATH)
    async def submit(request: Request) -> JSONResponse:
        refusal = refusal_for(state, request)
        if refusal is not None:
            return refusal
        try:
            body = json.loads(await request.body(), parse_float=Decimal)
        except ValueError:
            return problem(400, "request body is not JSON")
        if not isinstance(body, dict):
            return problem(400, "request body must be a JSON object")
        if sum(len(body.get(name) or []) for name in COLLECTIONS) > RECORDS_MAX:
            return problem(400, f"more than {RECORDS_MAX} records in one request")
        parameters = body.get("submissionParameters") or {}
        request_id = parameters.get("userRequestId")
        if request_id is not None and not (isinstance(request_id, str) and USER_REQUEST_ID.match(request_id)):
            return problem(400, "userRequestId must be 1-30 letters, digits, '-' or '_'")
        return _submit(state, body, parameters)

    @router.get(PATH)
    async def read_back(request: Request) -> JSONResponse:
        refusal = refusal_for(state, request)
        if refusal is not None:
            return refusal
        return _read_back(state, request)

    return router


def _submit(state: FakeIsoState, body: dict[str, Any], parameters: dict[str, Any]) -> JSONResponse:
    now_utc = state.clock_utc()
    summary, failed, passed = {}, {}, []
    for collection in COLLECTIONS:
        given = body.get(collection) or []
        records = given if isinstance(given, list) else [given]
        good, bad = check_collection(state, collection, records, now_utc)
        passed += good
        if bad:
            failed[collection] = bad
        summary[collection] = {"submitted": len(records), "passedValidation": len(good),
                               "failedValidation": len(bad), "accepted": 0, "rejected": 0}
    request_id = str(uuid.uuid4())
    commit = not failed and not parameters.get("doNotCommit", False)
    for collection, counts in summary.items():
        counts["accepted" if commit else "rejected"] = counts["submitted"] if (commit or failed) else 0
    if commit:
        _store(state, passed, request_id, now_utc)
    response = {"submissionParameters": parameters, "nyisoRequestId": request_id,
                "requestTimestamp": now_utc.isoformat(), "requestSummary": summary}
    if failed:
        response["failedValidation"] = failed
    if commit and state.take_lost_commit_answer():
        return _AnswerLost(_jsonable(response))
    return JSONResponse(_jsonable(response), status_code=422 if failed else 200)


class _AnswerLost(JSONResponse):
    """Starts a 200 answer, sends one byte of it and drops the connection: the server announced a length
    it never delivers, so the client cannot tell whether the request was processed."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body[:1], "more_body": True})
        raise ConnectionAbortedError("fake ISO: answer lost after the commit")


def _store(state: FakeIsoState, records: list[CheckedRecord], request_id: str, now_utc: datetime) -> None:
    with state.lock:
        for record in records:
            versions = state.metering.setdefault((record.collection, record.ptid, record.hour_utc), [])
            versions.append(StoredMeterValue(len(versions) + 1, record.measures, request_id, now_utc))


def _read_back(state: FakeIsoState, request: Request) -> JSONResponse:
    query = request.query_params
    try:
        start = datetime.fromisoformat(query["startTime"])
        end = datetime.fromisoformat(query["endTime"])
        version = int(query.get("version", "0"))
    except (KeyError, ValueError):
        return problem(400, "startTime and endTime (ISO-8601 with offset) are required; version is an integer")
    wanted = {name: {int(v) for v in query.getlist(field)} for name, (field, _) in COLLECTIONS.items()}
    kind = query.get("meterDataType", "ALL").upper()
    result: dict[str, list[dict[str, Any]]] = {name: [] for name in COLLECTIONS}
    with state.lock:
        items = sorted(state.metering.items(), key=lambda item: (item[0][0], item[0][1], item[0][2]))
    for (collection, ptid, hour_utc), versions in items:
        if kind != "ALL" and not collection.upper().startswith(kind[:3]):
            continue
        if not (start <= hour_utc <= end) or (wanted[collection] and ptid not in wanted[collection]):
            continue
        chosen = versions[-1] if version == 0 else next((v for v in versions if v.version == version), None)
        if chosen is None:
            continue
        field = COLLECTIONS[collection][0]
        result[collection].append({field: ptid, "dateHour": hour_utc.astimezone(EASTERN).isoformat(),
                                   **chosen.measures, "version": chosen.version,
                                   "maUpdateTime": chosen.accepted_at_utc.isoformat()})
    return JSONResponse(_jsonable(result))


def _jsonable(value: object) -> object:
    # Decimal MWh go out as JSON numbers with their exact digits (float of a 4-dp value prints back the same).
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return float(value)
    return value

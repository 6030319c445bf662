"""Operations endpoints: Prometheus `/metrics` (with the live connectors' metrics, api.live_metrics), and the Temporal codec server `/codec/encode|decode`.

Codec server protocol (Temporal Web UI and `temporal --codec-endpoint`): POST a JSON body
`{"payloads": [{"metadata": {...base64...}, "data": "<base64>"}]}` (the protobuf JSON of `Payloads`) and get
the same shape back, encoded or decoded with the payload keyring. Decoding shows meter data and amounts, so
it needs an operator, finance or auditor credential: a bearer token or API key (CLI: `--codec-auth "Bearer
..."`), or the finance session cookie when the call comes from a configured Web UI origin.

The cookie case: the authenticator demands the page header on cookie-authenticated POSTs (CSRF guard). A
cross-site page cannot make this call: the JSON content type forces a CORS preflight, which only the
configured Web UI origins pass, and the Origin header is checked again here. So for those origins only, the
request is authenticated as if it carried the page header.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from google.protobuf import json_format
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payload, Payloads

from api.auth import PAGE_HEADER
from api.live_metrics import render_live_metrics
from api.principal import Principal
from observability import render_metrics
from runtime.codec import EncryptionCodec, PayloadKeyError, ensure_payload_keyring
from settings import Settings

router = APIRouter(tags=["operations"])
# A gRPC message (and so a history batch the UI decodes) is at most 4 MB; the base64 JSON is ~4/3 of that.
CODEC_BODY_BYTES_MAX = 6 * 1024 * 1024
CODEC_ROLES = ("operator", "finance", "auditor")
PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
CODEC_PATH_PREFIX = "/codec/"


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    engine = request.app.state.engine
    return Response(render_metrics(engine) + render_live_metrics(engine), media_type=PROMETHEUS_CONTENT_TYPE)


class CodecCors:
    """CORS for the Web UI origins on the codec paths only; the rest of the API stays same-origin."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app, allow_origins=origins, allow_credentials=True, allow_methods=["POST", "OPTIONS"],
            allow_headers=["content-type", "x-namespace", "authorization"], max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(CODEC_PATH_PREFIX):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def add_codec_cors(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(CodecCors, origins=settings.codec_origins)


def _codec_principal(request: Request) -> Principal:
    settings: Settings = request.app.state.settings
    origin = request.headers.get("origin")
    has_header_credential = "authorization" in request.headers or "x-api-key" in request.headers
    if not has_header_credential and origin in settings.codec_origins:
        scope = dict(request.scope)
        scope["headers"] = [*request.scope["headers"], (PAGE_HEADER.lower().encode(), b"1")]
        request = Request(scope)
    principal: Principal = request.app.state.authenticate(request)
    principal.require(*CODEC_ROLES)
    return principal


def _codec(request: Request) -> EncryptionCodec:
    keyring = ensure_payload_keyring(request.app.state.settings)
    if keyring is None:
        raise HTTPException(status_code=404, detail="payload encryption is off (WATTLEDGER_PAYLOAD_ENCRYPTION)")
    # Display only: the Web UI also sends the few payloads the SDK writes in plain form (patch markers).
    return EncryptionCodec(keyring, accept_plaintext=True)


async def _payloads(request: Request) -> Payloads:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise HTTPException(status_code=415, detail="the codec takes application/json")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > CODEC_BODY_BYTES_MAX:  # refuse before reading it into memory
        raise HTTPException(status_code=413, detail=f"body over {CODEC_BODY_BYTES_MAX} bytes")
    body = await request.body()
    if len(body) > CODEC_BODY_BYTES_MAX:
        raise HTTPException(status_code=413, detail=f"body over {CODEC_BODY_BYTES_MAX} bytes")
    try:
        document = json.loads(body)
        if not isinstance(document, dict) or not isinstance(document.get("payloads"), list):
            raise ValueError('expected {"payloads": [...]}')  # noqa: TRY004 - caught below, becomes a 400
        return json_format.ParseDict(document, Payloads())
    except (json_format.ParseError, UnicodeDecodeError, ValueError, RecursionError) as error:
        raise HTTPException(status_code=400, detail=f"not a Payloads JSON document: {error}") from error


def _json(payloads: list[Payload]) -> Response:
    body = json_format.MessageToJson(Payloads(payloads=payloads), indent=None)
    return Response(body, media_type="application/json")


@router.post("/codec/encode", include_in_schema=False)
async def codec_encode(request: Request) -> Response:
    _codec_principal(request)
    codec = _codec(request)
    payloads = await _payloads(request)
    return _json(await codec.encode(payloads.payloads))


@router.post("/codec/decode", include_in_schema=False)
async def codec_decode(request: Request) -> Response:
    _codec_principal(request)
    codec = _codec(request)
    payloads = await _payloads(request)
    try:
        return _json(await codec.decode(payloads.payloads))
    except PayloadKeyError as error:
        raise HTTPException(status_code=422, detail=str(error)) from error

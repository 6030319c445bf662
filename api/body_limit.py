"""A ceiling on every request body, checked before and while it is read.

Routes that parse JSON, TOML or a form read the whole body into memory, so without a ceiling one request could
take the API's memory. The declared `Content-Length` is refused at once when over the ceiling; a body sent in
chunks without one is counted as it arrives and refused the moment it passes it. Either way the answer is 413
naming the ceiling, and the route never sees the body. The meter-data upload streams to disk and enforces its
own, larger limits per format (`meterdata`, docs/meter-data.md), so it is left to them.
"""

from __future__ import annotations

import json
import re

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The upload that streams and has its own limits.
STREAMED_UPLOAD_PATH = "/meter-data"
# An ISO price file is read whole by its parser (market_adapters/price_files): its own ceiling, plus the form's.
PRICE_UPLOAD_PATH = re.compile(r"^/campuses/[^/]+/prices$")
PRICE_FILE_BYTES_MAX = 64 << 20  # a month of hub or zone prices is far smaller; a day of every node's fits
FORM_OVERHEAD_BYTES = 1 << 20


class BodyTooLarge(HTTPException):
    def __init__(self, limit_bytes: int) -> None:
        super().__init__(status_code=413, detail=f"request body over {limit_bytes} bytes, the most this route takes")


class BodyLimit:
    """ASGI middleware: `limit_bytes` for every body except the streamed upload and the price files."""

    def __init__(self, app: ASGIApp, limit_bytes: int) -> None:
        self.app = app
        self.limit_bytes = limit_bytes

    def limit_for(self, path: str) -> int | None:
        if path == STREAMED_UPLOAD_PATH:
            return None
        if PRICE_UPLOAD_PATH.match(path):
            return PRICE_FILE_BYTES_MAX + FORM_OVERHEAD_BYTES
        return self.limit_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit_for(scope.get("path", "")) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)  # FastAPI and the routes pass an HTTPException through: a 413
            return message

        await self.app(scope, counted, send)


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": BodyTooLarge(limit).detail}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})

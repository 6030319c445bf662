"""Secrets never reach a log line: the log filter masks bearer tokens, JWTs, API keys, private keys and URL
passwords wherever they appear (message, arguments, exception text), and the API logs none of the
credentials it is handed, good or bad, nor the payload keyring.
"""

from __future__ import annotations

import io
import json
import logging

import pytest
from sqlalchemy import Engine

from api.auth import create_api_key
from observability.logs import MASK, cycle_log_context, log_handler, redact
from runtime.codec import ensure_payload_keyring
from settings import Settings
from tests.security.conftest import SecuredApp

JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJmaW5hbmNlIn0.c2lnbmF0dXJlLWJ5dGVz"
API_KEY = "wlk_abcdefghijkl_" + "S" * 43
PEM = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA\n-----END PRIVATE KEY-----"
URL = "postgresql+psycopg://wattledger:hunter2secret@db.internal:5432/wattledger"


@pytest.mark.parametrize("secret, leaked", [
    (f"Authorization: Bearer {JWT}", "c2lnbmF0dXJl"), (f"token={JWT}", "c2lnbmF0dXJl"), (API_KEY, "SSSSSSSS"),
    (PEM, "MC4CAQAw"), (URL, "hunter2secret"),
])
def test_redact_masks_each_kind_of_secret(secret: str, leaked: str) -> None:
    """Each secret shape is replaced by the mask; the rest of the line stays readable."""
    masked = redact(f"connecting with {secret} now")
    assert leaked not in masked and MASK in masked and masked.startswith("connecting with")


def test_json_log_lines_carry_cycle_context_and_no_secret_from_args_or_exceptions() -> None:
    """A JSON line has cycle_id and campus_id from the context; secrets in %-args and tracebacks are masked."""
    stream = io.StringIO()
    logger = logging.getLogger("wattledger.test.secrets")
    logger.propagate = False
    logger.addHandler(log_handler(Settings(log_format="json"), stream))
    logger.setLevel(logging.INFO)
    try:
        with cycle_log_context(cycle_id="cycle:demo-campus:2026-10", activity="settle_cycle"):
            logger.info("calling ISO with %s", f"Bearer {JWT}")
            try:
                raise RuntimeError(f"could not connect to {URL}")
            except RuntimeError:
                logger.exception("database down")
    finally:
        logger.handlers.clear()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["campus_id"] for line in lines] == ["demo-campus", "demo-campus"]
    assert lines[0]["cycle_id"] == "cycle:demo-campus:2026-10" and lines[0]["activity"] == "settle_cycle"
    text = stream.getvalue()
    assert "c2lnbmF0dXJl" not in text and "hunter2secret" not in text and "RuntimeError" in lines[1]["exc"]


async def test_api_logs_no_credential_it_is_handed(secured: SecuredApp, engine: Engine,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """Valid and invalid tokens and API keys, and the payload keyring, appear in no log record at any level."""
    caplog.set_level(logging.DEBUG)
    with engine.begin() as conn:
        api_key = create_api_key(conn, "sec.operator", ["operator"], None)
    token = secured.token("auditor")
    keyring = ensure_payload_keyring(secured.settings)
    assert keyring is not None
    calls = [({"Authorization": f"Bearer {token}"}, "/ledger/verify"), ({"X-API-Key": api_key}, "/cycles"),
             ({"Authorization": f"Bearer {token}x"}, "/cycles"), ({"Authorization": "Bearer wlk_" + "a" * 60}, "/cycles"),
             ({"Authorization": f"Bearer {token}"}, "/codec/encode")]
    for headers, path in calls:
        method = "POST" if path.startswith("/codec") else "GET"
        await secured.http.request(method, path, headers=headers, json={"payloads": []} if method == "POST" else None)
    logged = "\n".join(record.getMessage() + str(record.exc_info or "") for record in caplog.records)
    secrets = [token, api_key.split("_", 2)[2], *(key.hex() for key in keyring.keys.values())]
    assert not [secret for secret in secrets if secret in logged]

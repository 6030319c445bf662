"""The codec server (`/codec/encode`, `/codec/decode`) speaks Temporal's protocol, decrypts only for staff,
and lets exactly the configured Web UI origins call it from a browser.
"""

from __future__ import annotations

import base64

from api.auth import SESSION_COOKIE
from runtime.codec import EncryptionCodec, ensure_payload_keyring
from tests.security.conftest import SecuredApp

UI_ORIGIN = "http://127.0.0.1:8233"
PLAIN = {"payloads": [{"metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
                       "data": base64.b64encode(b'{"amount_usd_micros": 123456789}').decode()}]}


async def test_encode_then_decode_round_trips_and_matches_the_workers_codec(secured: SecuredApp) -> None:
    """What the endpoint encodes is ciphertext under the current key; decoding gives the exact original."""
    headers = secured.bearer("auditor")
    encoded = await secured.http.post("/codec/encode", json=PLAIN, headers=headers)
    assert encoded.status_code == 200, encoded.text
    sealed = encoded.json()["payloads"][0]
    assert base64.b64decode(sealed["metadata"]["encoding"]) == b"binary/encrypted"
    assert b"123456789" not in base64.b64decode(sealed["data"])
    keyring = ensure_payload_keyring(secured.settings)
    assert keyring is not None
    assert base64.b64decode(sealed["metadata"]["encryption-key-id"]).decode() == EncryptionCodec(keyring).current_key_id
    decoded = await secured.http.post("/codec/decode", json=encoded.json(), headers=headers)
    assert decoded.status_code == 200 and decoded.json() == PLAIN


async def test_only_staff_may_use_the_codec(secured: SecuredApp) -> None:
    """Anonymous 401; tenant and ingest roles 403; operator, finance and auditor 200."""
    assert (await secured.http.post("/codec/decode", json=PLAIN)).status_code == 401
    for role, tenant_id, status in (("tenant", "t1", 403), ("ingest", None, 403), ("operator", None, 200),
                                    ("finance", None, 200), ("auditor", None, 200)):
        response = await secured.http.post("/codec/decode", json=PLAIN, headers=secured.bearer(role, tenant_id))
        assert response.status_code == status, (role, response.text)


async def test_cors_preflight_answers_the_web_ui_origin_only_and_only_on_codec_paths(secured: SecuredApp) -> None:
    """The UI origin gets allow-origin and credentials; another origin gets none; /cycles stays same-origin."""
    request = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-namespace"}
    ui = await secured.http.options("/codec/decode", headers={"Origin": UI_ORIGIN, **request})
    assert ui.status_code == 200
    assert ui.headers["access-control-allow-origin"] == UI_ORIGIN
    assert ui.headers["access-control-allow-credentials"] == "true"
    evil = await secured.http.options("/codec/decode", headers={"Origin": "https://evil.example", **request})
    assert "access-control-allow-origin" not in evil.headers
    other_path = await secured.http.options("/cycles", headers={"Origin": UI_ORIGIN, **request})
    assert "access-control-allow-origin" not in other_path.headers


async def test_session_cookie_decodes_from_the_web_ui_origin_but_not_from_elsewhere(secured: SecuredApp) -> None:
    """A finance session cookie works from the configured UI origin; from another origin or none it is a 403
    (the CSRF guard), so a foreign page cannot make a logged-in browser decrypt history."""
    secured.http.cookies.set(SESSION_COOKIE, secured.token("finance"))
    try:
        from_ui = await secured.http.post("/codec/decode", json=PLAIN, headers={"Origin": UI_ORIGIN})
        assert from_ui.status_code == 200, from_ui.text
        from_evil = await secured.http.post("/codec/decode", json=PLAIN, headers={"Origin": "https://evil.example"})
        assert from_evil.status_code == 403
        without_origin = await secured.http.post("/codec/decode", json=PLAIN)
        assert without_origin.status_code == 403
    finally:
        secured.http.cookies.clear()


async def test_tampered_ciphertext_and_unknown_keys_are_422_not_500(secured: SecuredApp) -> None:
    """A flipped byte fails authentication; a foreign key id is named; neither reveals anything else."""
    headers = secured.bearer("operator")
    sealed = (await secured.http.post("/codec/encode", json=PLAIN, headers=headers)).json()
    data = bytearray(base64.b64decode(sealed["payloads"][0]["data"]))
    data[-1] ^= 1
    sealed["payloads"][0]["data"] = base64.b64encode(bytes(data)).decode()
    tampered = await secured.http.post("/codec/decode", json=sealed, headers=headers)
    assert tampered.status_code == 422 and "authentication" in tampered.json()["detail"]
    sealed["payloads"][0]["metadata"]["encryption-key-id"] = base64.b64encode(b"k-unknown").decode()
    unknown = await secured.http.post("/codec/decode", json=sealed, headers=headers)
    assert unknown.status_code == 422 and "k-unknown" in unknown.json()["detail"]


async def test_oversized_and_non_json_bodies_are_refused(secured: SecuredApp) -> None:
    """Over 6 MB: 413 before decoding; a non-JSON content type: 415; neither reaches the codec."""
    headers = secured.bearer("operator")
    big = await secured.http.post("/codec/decode", content=b"{" + b" " * (6 * 1024 * 1024) + b"}",
                                  headers={**headers, "content-type": "application/json"})
    assert big.status_code == 413
    form = await secured.http.post("/codec/decode", content=b"payloads=1",
                                   headers={**headers, "content-type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415

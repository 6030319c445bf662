"""A small OpenID Connect provider for the single sign-on tests, run as its own process:

    python -m tests.integration.accounts.oidc_provider PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI

It is Authlib's authorization server (`AuthorizationServer`, `AuthorizationCodeGrant`, the OpenID `OpenIDCode`
extension and PKCE `CodeChallenge(required=True)`), signing ID tokens with an RSA key made at start (joserfc),
over Starlette and uvicorn. Users sign in on its form with user name and password; their `groups` claim is what
wattledger maps to roles. Plain http on 127.0.0.1 only (AUTHLIB_INSECURE_TRANSPORT is set for this process).
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from html import escape
from typing import Any, ClassVar

os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

import uvicorn
from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

USERS = {  # user name -> (password, groups)
    "fiona": ("fiona idp pass phrase", ["billing-finance", "staff"]),
    "otto": ("otto idp pass phrase", ["staff"]),
}
KEY = RSAKey.generate_key(2048, parameters={"kid": "test-idp-1", "use": "sig", "alg": "RS256"}, private=True)


@dataclass
class Client(ClientMixin):  # type: ignore[misc]
    client_id: str
    client_secret: str
    redirect_uri: str

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(item for item in scope.split() if item in {"openid", "profile", "email", "groups"})

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic" if endpoint == "token" else True

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return "0"

    def get_amr(self) -> list[str]:
        return ["pwd"]


class Provider:
    def __init__(self, issuer: str, client: Client) -> None:
        self.issuer = issuer
        self.client = client
        self.codes: dict[str, Code] = {}


class StarletteOAuth2Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, method: str, uri: str, headers: Any, values: dict[str, str]) -> None:
        super().__init__(method, uri, headers=headers)
        self._values = values
        self.payload = BasicOAuth2Payload(values)

    @property
    def args(self) -> dict[str, str]:
        return self._values

    @property
    def form(self) -> dict[str, str]:
        return self._values


def build_server(provider: Provider) -> AuthorizationServer:
    class Server(AuthorizationServer):  # type: ignore[misc]
        def query_client(self, client_id: str) -> Client | None:
            return provider.client if client_id == provider.client.client_id else None

        def save_token(self, token: dict[str, Any], request: Any) -> None:
            pass  # access tokens are not used by the relying party

        def create_oauth2_request(self, request: Any) -> Any:
            return request

        def create_json_request(self, request: Any) -> Any:
            return request

        def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
            if isinstance(body, dict):
                return JSONResponse(body, status_code=status, headers=dict(headers))
            return Response(body or "", status_code=status, headers=dict(headers))

        def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
            pass

    class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
        TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic"]

        def save_authorization_code(self, code: str, request: Any) -> None:
            data = request.payload.data
            provider.codes[code] = Code(code, request.client.get_client_id(), request.payload.redirect_uri,
                                        request.payload.scope, request.user, data.get("nonce"),
                                        data.get("code_challenge"), data.get("code_challenge_method"))

        def query_authorization_code(self, code: str, client: Client) -> Code | None:
            found = provider.codes.get(code)
            return found if found is not None and found.client_id == client.client_id else None

        def delete_authorization_code(self, authorization_code: Code) -> None:
            provider.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: Code) -> str:
            return authorization_code.user

    class IdToken(OpenIDCode):  # type: ignore[misc]
        def resolve_client_private_key(self, client: Client) -> KeySet:
            return KeySet([KEY])

        def get_client_algorithm(self, client: Client) -> str:
            return "RS256"

        def get_client_claims(self, client: Client) -> dict[str, Any]:
            return {"iss": provider.issuer, "aud": [client.get_client_id()], "exp": int(time.time()) + 300}

        def get_encode_header(self, client: Client) -> dict[str, str]:
            return {"alg": "RS256", "kid": KEY.kid or ""}

        def exists_nonce(self, nonce: str, request: Any) -> bool:
            return any(code.nonce == nonce for code in provider.codes.values())

        def generate_user_info(self, user: str, scope: str) -> UserInfo:
            return UserInfo(sub=f"idp-{user}", preferred_username=user, groups=USERS[user][1])

    server = Server()
    server.register_token_generator("default", BearerTokenGenerator(lambda *args, **kwargs: secrets.token_urlsafe(32)))
    server.register_grant(CodeGrant, [IdToken(require_nonce=True), CodeChallenge(required=True)])
    return server


def create_app(issuer: str, client: Client) -> Starlette:
    provider = Provider(issuer, client)
    server = build_server(provider)

    def oauth_request(request: Request, values: dict[str, str]) -> StarletteOAuth2Request:
        return StarletteOAuth2Request(request.method, str(request.url), request.headers, values)

    async def discovery(request: Request) -> JSONResponse:
        return JSONResponse({
            "issuer": issuer, "authorization_endpoint": f"{issuer}/authorize", "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks", "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"]})

    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse(KeySet([KEY]).as_dict(private=False))

    async def authorize(request: Request) -> Response:
        query = dict(request.query_params)
        if request.method == "GET":
            try:
                server.get_consent_grant(oauth_request(request, query))
            except OAuth2Error as error:  # an invalid request is shown, never redirected
                return HTMLResponse(f"<p>invalid request: {escape(str(error))}</p>", status_code=400)
            return HTMLResponse('<form method="post"><input name="username"><input name="password" type="password">'
                                '<button>Sign in</button></form>')
        form = dict(await request.form())
        user = str(form.get("username", ""))
        if user not in USERS or not secrets.compare_digest(str(form.get("password", "")), USERS[user][0]):
            return HTMLResponse("<p>wrong user name or password</p>", status_code=401)
        response: Response = server.create_authorization_response(oauth_request(request, query), grant_user=user)
        return response

    async def token(request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        response: Response = server.create_token_response(oauth_request(request, form))
        return response

    return Starlette(routes=[
        Route("/.well-known/openid-configuration", discovery), Route("/jwks", jwks),
        Route("/authorize", authorize, methods=["GET", "POST"]), Route("/token", token, methods=["POST"])])


def main() -> None:
    port, client_id, client_secret, redirect_uri = sys.argv[1:5]
    issuer = f"http://127.0.0.1:{port}"
    uvicorn.run(create_app(issuer, Client(client_id, client_secret, redirect_uri)), host="127.0.0.1",
                port=int(port), log_level="warning")


if __name__ == "__main__":
    main()

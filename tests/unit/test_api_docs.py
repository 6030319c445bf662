"""/docs and /redoc work offline, and the OpenAPI document says how to authenticate and what each route refuses.

The app is built around an engine that never connects: serving the docs and the schema touches no database."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
PUBLIC_PATHS: set[str] = set()  # every documented operation authenticates today


class AppClient:
    """Requests to the app in process (httpx over ASGI), one event loop per request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def get(self, url: str) -> httpx.Response:
        async def fetch() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return await client.get(url)

        return asyncio.run(fetch())


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppClient]:
    from api.app import create_app
    from settings import Settings

    home: Path = tmp_path_factory.mktemp("docs-home")
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")  # lazy: never connected here
    app = create_app(Settings(home=home, data_uri=str(home / "data")), engine, None)
    yield AppClient(app)
    engine.dispose()


@pytest.fixture(scope="module")
def document(client: AppClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_every_asset_from_the_app(client: AppClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assets += re.findall(r"""url:\s*["']([^"']+)["']""", html)  # Swagger UI's openapi url
    scripts_and_styles = [asset for asset in assets if asset.endswith((".js", ".css"))]
    assert scripts_and_styles, f"{page} references no script or style"
    for asset in assets:
        assert not re.match(r"^(https?:)?//", asset), f"{page} loads {asset} from another host"
        fetched = client.get(asset)
        assert fetched.status_code == 200, f"{page} references {asset}, which the app answers {fetched.status_code}"
        assert fetched.content, asset
    # Swagger UI is configured to point at the app's own schema.
    assert "/openapi.json" in html


def test_security_schemes_are_declared(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["apiKeyAuth"]["type"] == "apiKey"
    assert schemes["apiKeyAuth"]["in"] == "header" and schemes["apiKeyAuth"]["name"] == "X-API-Key"


def test_every_route_requires_a_credential_except_public_ones(document: dict[str, Any]) -> None:
    operations = list(_operations(document))
    assert len(operations) > 40
    for path, method, operation in operations:
        requirement = operation.get("security")
        if path in PUBLIC_PATHS:
            assert requirement == [], f"{method} {path} is public"
        else:
            assert requirement == [{"bearerAuth": []}, {"apiKeyAuth": []}], f"{method} {path}"


def test_every_route_documents_its_refusals_with_the_error_body(document: dict[str, Any]) -> None:
    error_schema = document["components"]["schemas"]["ErrorPublic"]
    assert {"detail", "type", "source", "line", "field", "problems"} <= set(error_schema["properties"])
    for path, method, operation in _operations(document):
        responses = operation["responses"]
        expected = {"401", "403", "422"} if ("{" in path or operation.get("parameters") or
                                             operation.get("requestBody")) else {"401", "403"}
        if "{" in path:
            expected.add("404")
        if method != "get":
            expected.add("409")
        assert expected <= set(responses), f"{method} {path} documents {sorted(responses)}"
        for status in expected:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorPublic"}, f"{method} {path} {status}"


def _untyped(schema: dict[str, Any]) -> bool:
    items = schema.get("items", {})
    return "$ref" not in items and "properties" not in items and "anyOf" not in items


def test_no_list_response_is_untyped(document: dict[str, Any]) -> None:
    untyped = []
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("type") == "array" and _untyped(schema):
                untyped.append(f"{method} {path} {status}")
    assert untyped == []


def _named_fields(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """The schema (or the component it refers to) names its fields."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return bool(schema.get("properties"))


def test_no_single_object_response_is_untyped(document: dict[str, Any]) -> None:
    """Every JSON success answer that is one object documents its fields (a response model), so /docs and
    /openapi.json show them; a route answering another media type (SVG, PDF, CSV) documents that type instead."""
    untyped = []
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            content = response.get("content", {})
            if not status.startswith("2") or "application/json" not in content:
                continue
            schema = content["application/json"].get("schema", {})
            if schema.get("type") == "array":
                continue  # lists: test_no_list_response_is_untyped
            if not _named_fields(document, schema):
                untyped.append(f"{method} {path} {status}")
    assert untyped == []


def test_a_missing_credential_answers_the_documented_error_body(client: AppClient) -> None:
    response = client.get("/cycles")
    assert response.status_code == 401
    assert isinstance(response.json()["detail"], str)
    assert response.headers["www-authenticate"].lower().startswith("bearer")

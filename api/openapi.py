"""The OpenAPI document: how to authenticate, and what every route answers when it refuses.

FastAPI generates the operations from the routes; this module adds what it cannot see. Routes authenticate
through `api.deps.get_principal` (a plain dependency reading the request), so the document declares the two
schemes that dependency accepts (HTTP bearer: an API key or a JWT; the `X-API-Key` header) and requires one of
them on every operation that depends on it; the others (none today beyond the hidden /metrics and codec routes)
are marked public. Each operation documents its refusals with the one error body of `api.errors`
(`ErrorPublic`): 401 and 403 where it authenticates, 404 where its path names a record, 409 where it changes
state, 422 where it takes parameters or a body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from api.deps import get_principal
from api.schemas import ErrorPublic

BEARER_SCHEME = "bearerAuth"
API_KEY_SCHEME = "apiKeyAuth"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    BEARER_SCHEME: {"type": "http", "scheme": "bearer",
                    "description": "An API key (`wlk_<key id>_<secret>`, from `wattledger access api-key`) "
                                   "or a JWT issued for the deployment."},
    API_KEY_SCHEME: {"type": "apiKey", "in": "header", "name": "X-API-Key",
                     "description": "An API key, as an alternative to the Authorization header."},
}
ERROR_DESCRIPTIONS = {
    "401": "Not authenticated: no credential, or one that is unknown, expired or revoked",
    "403": "Authenticated, but the role or tenant may not do this",
    "404": "No such record (or one the caller may not see)",
    "409": "Conflicts with the record's state (wrong phase, duplicate, already decided)",
    "422": "The request or its data is refused; `detail` names what and where",
}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ERROR_REF = "#/components/schemas/ErrorPublic"


def authenticates(dependant: Dependant) -> bool:
    """Whether the route (or any dependency of it, at any depth) asks for the authenticated principal."""
    return any(sub.call is get_principal or authenticates(sub) for sub in dependant.dependencies)


def refusals(route: RouteContext) -> list[str]:
    """The error statuses `route` can answer, from its shape (see the module docstring)."""
    statuses = []
    path = route.path_format or ""
    methods = route.methods or set()
    if authenticates(route.dependant):
        statuses += ["401", "403"]
    if "{" in path:
        statuses.append("404")
    if methods & UNSAFE_METHODS:
        statuses.append("409")
    dependant = route.dependant
    takes_input = route.body_field is not None or "{" in path or bool(dependant.query_params)
    if takes_input or any(sub.query_params or sub.path_params for sub in dependant.dependencies):
        statuses.append("422")
    return statuses


def _error_components() -> dict[str, Any]:
    schema = ErrorPublic.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    components: dict[str, Any] = schema.pop("$defs", {})
    components["ErrorPublic"] = schema
    return components


def build_openapi(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                           tags=app.openapi_tags, servers=app.servers)
    components = document.setdefault("components", {})
    components.setdefault("schemas", {}).update(_error_components())
    components["securitySchemes"] = SECURITY_SCHEMES
    paths = document.get("paths", {})
    # Included routers are resolved lazily (FastAPI's route contexts): each context is one route as served.
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            if authenticates(route.dependant):
                operation["security"] = [{BEARER_SCHEME: []}, {API_KEY_SCHEME: []}]
            else:
                operation["security"] = []  # public: no credential needed
            responses = operation.setdefault("responses", {})
            for status in refusals(route):
                responses[status] = {"description": ERROR_DESCRIPTIONS[status],
                                     "content": {"application/json": {"schema": {"$ref": ERROR_REF}}}}
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve `build_openapi`'s document at /openapi.json (built once, on first request, after every router)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    replace: Callable[[], dict[str, Any]] = openapi
    app.openapi = replace  # type: ignore[method-assign]

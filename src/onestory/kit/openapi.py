"""The OpenAPI document says what the API really answers: how to authenticate, and the
problem+json errors (RFC 9457) each operation can return, not just FastAPI's 200 and 422.

Derived from each operation, so a new endpoint is documented without a per-endpoint list:
one that declares a security scheme (every `onestory.deps.require`, via `API_KEY_SCHEMES`)
or checks a widget token or webhook signature (all of /v1) can answer 401/403; one with
parameters or a body can answer 404 (an unknown id), 409 and 422;
one that writes can answer 400 (malformed body), 409 and 413; any can answer 429 and 503.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPBearer

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
WRITE_METHODS = {"post", "put", "patch", "delete"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "An RFC 9457 problem: what went wrong and, for bad input, which field",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {
                    "field": {"type": "string"},
                    "reason": {"type": "string"},
                    "in": {"type": "string", "enum": ["body", "query", "path", "header"]},
                },
            },
        },
    },
    "additionalProperties": True,
}

_DESCRIPTIONS = {
    400: "Bad request: the body is empty or not well-formed",
    401: "No credentials, or unknown or revoked ones",
    403: "The credentials lack the scope this operation needs",
    404: "Not found (an unknown id)",
    409: "Conflict with the current state",
    413: "The body or one of its parts is too large",
    422: "Invalid input: the problem's `errors` name each field and why",
    429: "Too many requests: slow down (see `Retry-After`)",
    503: "Temporarily unavailable (the store is busy or a feature is switched off); retry",
}

_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}},
    429: {"Retry-After": {"schema": {"type": "string"}, "description": "seconds to wait"}},
}


def _problem(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS[status],
        "content": {PROBLEM: {"schema": PROBLEM_REF}},
    }
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


def _document(path: str, method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    statuses = {429, 503}
    # An API key, a widget token or a webhook signature: every /v1 route checks one.
    if operation.get("security") or path.startswith("/v1/"):
        statuses |= {401, 403}
    if operation.get("parameters") or operation.get("requestBody") or method in WRITE_METHODS:
        statuses |= {404, 409, 422}
    if method in WRITE_METHODS:
        statuses |= {400, 409, 413}
    for status in sorted(statuses):
        key = str(status)
        # FastAPI's own 422 describes its JSON validation body; ours is a problem.
        if key not in responses or status == 422:
            responses[key] = _problem(status)
        else:
            responses[key].setdefault("content", {PROBLEM: {"schema": PROBLEM_REF}})


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with a generator that adds security and problem responses."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        for unused in ("HTTPValidationError", "ValidationError"):
            components["schemas"].pop(unused, None)
        paths: dict[str, dict[str, Any]] = schema.get("paths", {})
        for path, operations in paths.items():
            for method, operation in operations.items():
                _document(path, method, operation)
        app.openapi_schema = schema
        return schema

    setattr(app, "openapi", openapi)  # noqa: B010 - FastAPI's documented override


# The ways a caller proves who it is (see onestory.deps). Never raising (auto_error=False):
# they only put the schemes into the OpenAPI document; the real check is `require`'s.
API_KEY_SCHEMES = (
    HTTPBearer(
        auto_error=False,
        scheme_name="bearerAuth",
        description="An API key: `Authorization: Bearer os_...` (`onestory keys create`)",
    ),
    APIKeyHeader(
        name="X-API-Key",
        auto_error=False,
        scheme_name="apiKeyHeader",
        description="The same API key in a header of its own",
    ),
    APIKeyCookie(
        name="onestory_session",
        auto_error=False,
        scheme_name="sessionCookie",
        description="A signed-in web UI user (unsafe methods also need the CSRF token)",
    ),
)

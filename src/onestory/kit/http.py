"""HTTP plumbing shared by every router: problem+json errors and fast JSON bodies."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from onestory.kit.errors import (
    BadRequest,
    InvalidInput,
    OneStoryError,
    PayloadTooLarge,
    field_error,
)
from onestory.kit.jsonutil import dumpb, loads

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"


class ORJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return dumpb(content)


def problem_response(
    err: OneStoryError, request: Request, headers: dict[str, str] | None = None
) -> Response:
    headers = dict(headers or {})
    if err.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    # Errors that tell the client when to come back (429's Retry-After) carry their headers.
    headers.update(getattr(err, "headers", {}))
    return Response(
        dumpb(err.problem(instance=request.url.path)),
        status_code=err.status,
        media_type=PROBLEM,
        headers=headers,
    )


async def read_body(request: Request, max_bytes: int) -> bytes:
    """Read a request body with a size limit; an empty body is a clear 400."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"request body is {declared} bytes; the limit is {max_bytes}")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise PayloadTooLarge(f"request body exceeds the limit of {max_bytes} bytes")
    if not body:
        raise BadRequest(
            "the request body is empty; send a JSON document", errors=[field_error("body", "empty")]
        )
    return bytes(body)


def parse_json(body: bytes) -> Any:
    """Parse a JSON body; malformed JSON is a clear 400."""
    try:
        return loads(body)
    except ValueError as exc:
        raise BadRequest(
            f"the request body is not valid JSON: {exc}",
            errors=[field_error("body", "malformed JSON")],
        ) from exc


async def read_json(request: Request, max_bytes: int) -> Any:
    """Read and parse a JSON body with a size limit; malformed JSON is a clear 400."""
    return parse_json(await read_body(request, max_bytes))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OneStoryError)
    async def _onestory(request: Request, exc: OneStoryError) -> Response:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ())]
            if loc and loc[0] in {"body", "query", "path", "header"}:
                where, loc = loc[0], loc[1:]
            else:
                where = "body"
            errors.append(field_error(".".join(loc) or where, str(err.get("msg")), **{"in": where}))
        return problem_response(InvalidInput("the request is invalid", errors=errors), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        err = OneStoryError(str(exc.detail))
        err.status = exc.status_code
        err.title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        err.type_slug = "http-" + str(exc.status_code)
        # Starlette's own headers, e.g. the ``Allow`` of a 405, are part of the answer.
        return problem_response(err, request, headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            OneStoryError("an unexpected error happened; it was logged"), request
        )

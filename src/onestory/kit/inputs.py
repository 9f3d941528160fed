"""What every input must satisfy before it reaches a store: one definition, used everywhere.

PostgreSQL cannot hold a NUL character (``\\u0000``) in text or JSONB, nor a lone UTF-16
surrogate; datetimes near the ends of Python's range overflow once converted to UTC or moved
by a window (``0001-01-01T00:00:00+14:00``). Both used to surface as 500s from deep inside a
write. Here they become a 422 that names the field: the event envelope checks each item with
`unstorable` and `UtcDateTime`, every JSON/form body and every path and query parameter goes
through `reject_unstorable` (an application-wide dependency), and the numeric parameters use
the bounded types below, so the OpenAPI document shows their limits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from fastapi.routing import APIRoute
from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError
from starlette.requests import HTTPConnection

# The window a timestamp must fall in, in UTC. Wide enough for any real history and any
# "until" a client may send, narrow enough that adding a window of days to it never leaves
# the datetime range.
MIN_TIME = datetime(1900, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(9000, 1, 1, tzinfo=UTC)
TIME_RANGE = f"from {MIN_TIME.year} to {MAX_TIME.year - 1} (in UTC)"

# Bounds for numeric parameters: far beyond any real use, far inside what SQL integers and
# Python's timedelta hold.
MAX_OFFSET = 1_000_000
MAX_SECONDS = 100 * 366 * 86_400  # a century of seconds

NUL_REASON = "contains a NUL character (\\u0000), which cannot be stored"
SURROGATE_REASON = "contains a lone UTF-16 surrogate, which is not valid text"


def in_time_range(value: datetime) -> datetime:
    """``value`` in UTC, or a ValueError when it is outside the window (or overflows on the way
    there). A naive value is read as UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not MIN_TIME <= utc < MAX_TIME:
        raise ValueError(f"must be a date-time {TIME_RANGE}")
    return utc


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a time zone offset, e.g. 2026-01-31T12:00:00Z")
    return value


_RANGE_DOC = f"an ISO-8601 date-time {TIME_RANGE}; without an offset it is read as UTC"

# A timestamp a client sends: converted to UTC, bounded; a value without an offset is UTC.
UtcDateTime = Annotated[datetime, AfterValidator(in_time_range)]
# The same, but the offset is required (event envelopes: a bare local time is ambiguous).
AwareUtcDateTime = Annotated[datetime, AfterValidator(_aware), AfterValidator(in_time_range)]

# Query parameters, with their bounds in the OpenAPI document.
Since = Annotated[UtcDateTime | None, Query(description=f"only from this instant on: {_RANGE_DOC}")]
Until = Annotated[UtcDateTime | None, Query(description=f"only before this instant: {_RANGE_DOC}")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")]


def _bad_text(text: str) -> str | None:
    if "\x00" in text:
        return NUL_REASON
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE_REASON
    return None


def unstorable(value: Any, path: str = "") -> tuple[str, str] | None:
    """The first string (a value or a mapping key) in ``value`` that no store can hold, as
    ``(dotted path, reason)``; None when all is well. Iterative: a deeply nested document
    must not exhaust the stack."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            reason = _bad_text(item)
            if reason:
                return where or "body", reason
        elif isinstance(item, dict):
            for key, sub in item.items():
                name = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and (reason := _bad_text(key)):
                    return (f"{where}.<key>" if where else "<key>"), reason
                stack.append((name, sub))
        elif isinstance(item, list | tuple):
            stack.extend((f"{where}.{i}" if where else str(i), sub) for i, sub in enumerate(item))
    return None


def _plain_text(value: Any) -> Any:
    if isinstance(value, str) and (reason := _bad_text(value)):
        raise PydanticCustomError("unstorable_text", reason)
    return value


# A string field of a model that is validated outside a request (e.g. a stored document).
StorableStr = Annotated[str, BeforeValidator(_plain_text)]


def _invalid(
    where: str, name: str, reason: str, websocket: bool = False
) -> RequestValidationError | WebSocketRequestValidationError:
    loc: tuple[str, ...] = (where, *name.split(".")) if name else (where,)
    errors = [{"type": "unstorable_text", "loc": loc, "msg": reason, "input": None}]
    # On a WebSocket FastAPI closes with 1008 (policy violation) for this one.
    return WebSocketRequestValidationError(errors) if websocket else RequestValidationError(errors)


async def reject_unstorable(request: HTTPConnection) -> None:
    """Application-wide dependency: path and query parameters and parsed JSON or form bodies
    must hold only storable text (see the module docstring). The body is the one FastAPI has
    already parsed (Starlette caches it), so nothing is read twice; routes that read their
    body themselves (event ingestion) check each item instead."""
    ws = not isinstance(request, Request)
    for name, value in request.path_params.items():
        if isinstance(value, str) and (reason := _bad_text(value)):
            raise _invalid("path", name, reason, ws)
    for name, value in request.query_params.multi_items():
        reason = _bad_text(name) or _bad_text(value)
        if reason:
            raise _invalid("query", name if not _bad_text(name) else "<name>", reason, ws)
    route = request.scope.get("route")
    if (
        not isinstance(request, Request)
        or not isinstance(route, APIRoute)
        or route.body_field is None
    ):
        return
    content_type = request.headers.get("content-type", "")
    if "form" in content_type:
        form = await request.form()
        for name, field in form.multi_items():
            if isinstance(field, str) and (reason := _bad_text(name) or _bad_text(field)):
                raise _invalid("body", name, reason)
        return
    if not await request.body():
        return
    try:
        body = await request.json()
    except ValueError:
        return  # FastAPI has already answered malformed JSON; nothing to check
    found = unstorable(body)
    if found is not None:
        raise _invalid("body", found[0] if found[0] != "body" else "", found[1])

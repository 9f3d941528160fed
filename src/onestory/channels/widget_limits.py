"""Rate limits of the public chat widget, as route dependencies (see ``LimitsSettings``).

The widget answers anyone on the internet, so every route that creates something is counted
per client address, and messages also per visitor session. A visitor session is known by its
token (hashed): it is what the visitor holds, and minting new ones is itself limited.
"""

from __future__ import annotations

import hashlib

from fastapi import Request
from starlette.requests import HTTPConnection

from onestory.app_state import Runtime
from onestory.kit.errors import PayloadTooLarge, field_error
from onestory.kit.ratelimit import client_address, enforce

# What the limited routes may answer besides their own statuses (for the OpenAPI document).
THROTTLED: dict[int | str, dict[str, object]] = {
    429: {"description": "Rate limited: try again after Retry-After seconds (problem+json)"}
}
MESSAGE_LIMITED: dict[int | str, dict[str, object]] = {
    **THROTTLED,
    413: {"description": "The message is larger than the widget allows (problem+json)"},
}


def _client(runtime: Runtime, conn: HTTPConnection) -> str:
    return client_address(conn, runtime.settings.limits.trusted_proxies)


def _visitor(token: str | None) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()[:32]


async def session_limit(request: Request) -> None:
    """New widget sessions per client address."""
    runtime: Runtime = request.app.state.runtime
    limit = runtime.settings.limits.widget_session
    enforce(
        runtime.guard.limiter.hit(limit, "widget-session", _client(runtime, request)),
        "new chat sessions from this address",
    )


async def identify_limit(request: Request) -> None:
    """Email claims per client address."""
    runtime: Runtime = request.app.state.runtime
    limit = runtime.settings.limits.widget_identify
    enforce(
        runtime.guard.limiter.hit(limit, "widget-identify", _client(runtime, request)),
        "email claims from this address",
    )


async def message_limit(request: Request) -> None:
    """Widget messages: a size cap, then per visitor session and per client address."""
    runtime: Runtime = request.app.state.runtime
    limits = runtime.settings.limits
    cap = limits.widget_max_message_bytes
    declared = request.headers.get("content-length", "")
    if (declared.isdigit() and int(declared) > cap) or len(await request.body()) > cap:
        raise PayloadTooLarge(
            f"a chat message may be at most {cap} bytes",
            errors=[field_error("text", f"at most {cap} bytes")],
        )
    enforce(message_wait(runtime, request, request.headers.get("x-widget-token")), "messages")


def message_wait(runtime: Runtime, conn: HTTPConnection, token: str | None) -> int | None:
    """Count one widget message (HTTP or WebSocket); seconds to wait when over a limit."""
    limits, limiter = runtime.settings.limits, runtime.guard.limiter
    return limiter.hit(limits.widget_messages, "widget-visitor", _visitor(token)) or limiter.hit(
        limits.widget_messages_client, "widget-client", _client(runtime, conn)
    )

"""Security headers on every HTTP response, from one ASGI middleware.

The server-rendered UI loads only its own scripts and stylesheets (no inline ``<script>``,
``<style>`` or ``style=""``), so the policy needs no ``'unsafe-inline'`` and no nonces: any
injected markup that slipped past escaping can neither run script nor load from elsewhere.
WebSockets to the same host are covered by ``'self'`` (CSP Level 3).

The chat widget is a ``<script>`` a brand embeds on its own pages, not a frame, so refusing to
be framed (``frame-ancestors 'none'``, ``X-Frame-Options: DENY``) does not affect it: the
host page's policy governs the widget there (it styles itself through a constructed
stylesheet, which ``style-src`` does not block).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Desktop URLs carry customer ids and search terms: never hand them to another site.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """Adds ``COMMON_HEADERS`` to every response and the CSP to all but ``csp_exempt`` paths
    (the interactive API docs, which load Swagger UI from a CDN with an inline script)."""

    def __init__(self, app: ASGIApp, *, csp_exempt: Iterable[str] = ()) -> None:
        self.app = app
        self.csp_exempt = tuple(p for p in csp_exempt if p)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_csp = not any(scope["path"].startswith(p) for p in self.csp_exempt)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if with_csp and "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
            await send(message)

        await self.app(scope, receive, send_with_headers)

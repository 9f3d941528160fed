"""Which web origins may embed the chat widget, and CORS for the widget's routes only.

A brand's site (``https://www.brand.example``) runs the widget script served by OneStory
(``https://support.brand.example/v1/widget/widget.js``); the script's calls to ``/v1/widget/*``
are cross-origin, so the browser asks first (a preflight). Allowed origins are the
``ONESTORY_CHANNELS__WIDGET_ORIGINS`` setting plus those stored through
``PUT /v1/channels/widget/origins`` (no restart; other processes see a change within
``CACHE_SECONDS``). Every other route keeps the browser's same-origin rule: no CORS headers.
A request from an origin not allowed gets no CORS headers and a 403, and the widget WebSocket
refuses such an origin the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import delete, select
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from onestory.app_state import Runtime
from onestory.channels.models import WidgetOrigin
from onestory.kit import clock
from onestory.kit.errors import Forbidden, InvalidInput, field_error
from onestory.kit.http import PROBLEM
from onestory.kit.jsonutil import dumpb

PREFIX = "/v1/widget/"
# The script itself is loaded by a <script> tag, which is not subject to CORS.
SCRIPT = "/v1/widget/widget.js"
CACHE_SECONDS = 5.0
ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Content-Type, X-Widget-Token"
MAX_AGE = "600"
MAX_ORIGINS = 100
_ORIGIN_RE = re.compile(r"^(https?)://([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::(\d{1,5}))?/?$")


def normalize_origin(raw: str) -> str | None:
    """``scheme://host[:port]`` in lower case without a default port, or None if not one."""
    m = _ORIGIN_RE.match(raw.strip().lower())
    if m is None:
        return None
    scheme, host, port = m.groups()
    if port and int(port) > 65535:
        return None
    if port and (scheme, port) in (("http", "80"), ("https", "443")):
        port = None
    return f"{scheme}://{host}{':' + port if port else ''}"


def checked_origins(values: Iterable[str]) -> list[str]:
    """Normalised, de-duplicated origins, or a 422 naming the first bad one."""
    out: list[str] = []
    for i, raw in enumerate(values):
        norm = normalize_origin(raw)
        if norm is None:
            raise InvalidInput(
                "an origin must look like https://www.example.com (scheme, host, optional port)",
                errors=[field_error(f"origins.{i}", f"{raw[:100]!r} is not an origin")],
            )
        if norm not in out:
            out.append(norm)
    if len(out) > MAX_ORIGINS:
        raise InvalidInput(
            f"at most {MAX_ORIGINS} origins", errors=[field_error("origins", "too many")]
        )
    return out


def _own_origins(runtime: Runtime) -> set[str]:
    settings = runtime.settings
    own = set()
    for url in (settings.base_url, settings.channels.public_base_url):
        if url:
            parts = urlsplit(url)
            if norm := normalize_origin(f"{parts.scheme}://{parts.netloc}"):
                own.add(norm)
    return own


def same_origin(scope: Scope, origin: str, runtime: Runtime) -> bool:
    """Whether ``origin`` is OneStory's own (the request's host, or the configured URLs)."""
    norm = normalize_origin(origin)
    if norm is None:
        return False
    host = Headers(scope=scope).get("host", "")
    scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", ""), scope.get("scheme"))
    if host and norm == normalize_origin(f"{scheme}://{host}"):
        return True
    return norm in _own_origins(runtime)


class WidgetOrigins:
    """The allowed origins of the widget: configured ones and those an admin stored (one per
    application: the channels plugin's ``origins``)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._cache: tuple[float, frozenset[str]] | None = None

    def configured(self) -> list[str]:
        return checked_origins(self.runtime.settings.channels.widget_origins)

    def stored(self) -> list[str]:
        with self.runtime.db.transaction() as s:
            return list(s.scalars(select(WidgetOrigin.origin).order_by(WidgetOrigin.origin)))

    def replace(self, origins: list[str], by: str) -> list[str]:
        """Store exactly ``origins`` (already checked) in place of the stored list."""
        now = self.runtime.clock.now()
        with self.runtime.db.transaction(write=True) as s:
            s.execute(delete(WidgetOrigin))
            s.add_all(WidgetOrigin(origin=o, added_at=now, added_by=by[:200]) for o in origins)
        self._cache = None
        return self.stored()

    def allowed_now(self) -> frozenset[str]:
        cached = self._cache
        if cached is not None and cached[0] > clock.monotonic():
            return cached[1]
        allowed = frozenset(self.configured()) | frozenset(self.stored())
        self._cache = (clock.monotonic() + CACHE_SECONDS, allowed)
        return allowed

    async def allows(self, origin: str) -> bool:
        norm = normalize_origin(origin)
        if norm is None:
            return False
        cached = self._cache
        if cached is not None and cached[0] > clock.monotonic():
            return norm in cached[1]
        return norm in await run_in_threadpool(self.allowed_now)


async def origin_refused(scope: Scope, origins: WidgetOrigins) -> str | None:
    """Why a browser request to the widget must be refused (None: it may go on).

    No ``Origin`` header means no browser page is behind the request (a server, a test
    client): there is nothing for CORS to protect then."""
    origin = Headers(scope=scope).get("origin")
    if origin is None or same_origin(scope, origin, origins.runtime):
        return None
    if await origins.allows(origin):
        return None
    return (
        f"the origin {origin[:200]!r} may not use this widget (see PUT /v1/channels/widget/origins)"
    )


class WidgetCors:
    """ASGI middleware: CORS for ``/v1/widget/*`` only, from allowed origins only."""

    def __init__(self, app: ASGIApp, origins: WidgetOrigins) -> None:
        self.app = app
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None or same_origin(scope, origin, self.origins.runtime):
            await self.app(scope, receive, send)
            return
        refused = await origin_refused(scope, self.origins)
        preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        if refused is not None:
            if path == SCRIPT and scope["method"] == "GET":
                await self.app(scope, receive, send)
                return
            await _problem(send, Forbidden(refused).problem(instance=path), 403)
            return
        cors = {
            "access-control-allow-origin": origin,
            "vary": "Origin",
        }
        if preflight:
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [
                        (k.encode(), v.encode())
                        for k, v in {
                            **cors,
                            "access-control-allow-methods": ALLOW_METHODS,
                            "access-control-allow-headers": ALLOW_HEADERS,
                            "access-control-max-age": MAX_AGE,
                        }.items()
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out["access-control-allow-origin"] = origin
                out.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, with_cors)


async def _problem(send: Send, body: dict[str, object], status: int) -> None:
    raw = dumpb(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM.encode()),
                (b"content-length", str(len(raw)).encode()),
                (b"vary", b"Origin"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})

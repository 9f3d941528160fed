"""FastAPI dependencies: the runtime, a transaction per request, the calling principal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from onestory.app_state import Runtime
from onestory.auth.service import Principal, authenticate, revocations
from onestory.kit import clock
from onestory.kit.errors import Forbidden, Unauthorized
from onestory.kit.openapi import API_KEY_SCHEMES
from onestory.kit.ratelimit import LimitsRateLimiter, NoRateLimits, RateLimiter

CACHE_SECONDS = 30.0


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """A read transaction per request (writes go through services with their own)."""
    with runtime.db.transaction() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def bearer_token(request: HTTPConnection) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


def principal_for(runtime: Runtime, token: str | None) -> Principal:
    """The key's principal; a revoked key is refused on its very next request, in every process.

    Valid keys are cached (never unknown or revoked ones), keyed by token, together with the
    store's revocation count at the time. Each request reads that count (one aggregate over
    the small key table, no ORM): when any process — the CLI included — revokes a key, the
    count grows and this process drops its cache before answering.
    """
    if not token:
        raise Unauthorized("send an API key as 'Authorization: Bearer os_...'")
    cache: dict[str, tuple[Principal, float]] = runtime.services.setdefault("principal_cache", {})
    now = clock.monotonic()
    with runtime.db.engine.connect() as conn:
        seen = revocations(conn)
    if runtime.services.get("principal_cache_revocations") != seen:
        cache.clear()
        runtime.services["principal_cache_revocations"] = seen
    hit = cache.get(token)
    if hit is not None and hit[1] > now:
        return hit[0]
    with runtime.db.transaction() as session:
        principal = authenticate(session, token)
    if principal is None:
        cache.pop(token, None)
        raise Unauthorized("the API key is unknown or revoked")
    if len(cache) > 10_000:
        cache.clear()
    cache[token] = (principal, now + CACHE_SECONDS)
    return principal


def session_principal(runtime: Runtime, conn: HTTPConnection) -> Principal | None:
    """A signed-in browser (the web UI's session cookie) when no API key is sent; the web
    domain's resolver checks CSRF on unsafe methods and the origin of WebSockets."""
    resolve = runtime.services.get("session_principal")
    if resolve is None or bearer_token(conn) is not None:
        return None
    principal: Principal | None = resolve(conn)
    return principal


def _documented_credentials(
    _bearer: object = Depends(API_KEY_SCHEMES[0]),
    _header: object = Depends(API_KEY_SCHEMES[1]),
    _cookie: object = Depends(API_KEY_SCHEMES[2]),
) -> None:
    """Puts the accepted credentials into the OpenAPI document (checked by `require`)."""


def require(scope: str) -> Callable[[Request], Principal]:
    """Dependency factory: the caller must hold ``scope`` (or ``admin``)."""

    def check(request: Request, _: None = Depends(_documented_credentials)) -> Principal:
        runtime = get_runtime(request)
        principal = (
            getattr(request.state, "principal", None)
            or session_principal(runtime, request)
            or principal_for(runtime, bearer_token(request))
        )
        if not principal.allows(scope):
            raise Forbidden(f"this key lacks the '{scope}' scope")
        return principal

    return check


def rate_limiter(runtime: Runtime) -> RateLimiter:
    """The runtime's one rate limiter: Redis-backed when the bus is Redis (shared by every
    process), else in memory."""
    limiter: RateLimiter | None = runtime.services.get("rate_limiter")
    if limiter is None:
        s = runtime.settings
        made: RateLimiter = (
            LimitsRateLimiter(
                s.redis_url if s.bus == "redis" else None, key_prefix=s.pipeline.stream_prefix
            )
            if s.limits.enabled
            else NoRateLimits()
        )
        limiter = runtime.services.setdefault("rate_limiter", made)
    return limiter

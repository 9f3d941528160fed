"""Who is calling: API keys (cached, revoked everywhere at once), browser sessions, and the
one rate limiter of the process. One ``Guard`` per running application (``runtime.guard``)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import HTTPConnection

from onestory.auth.service import Principal, authenticate, revocations
from onestory.config import Settings
from onestory.db import Database
from onestory.kit import clock
from onestory.kit.errors import Unauthorized
from onestory.kit.ratelimit import LimitsRateLimiter, NoRateLimits, RateLimiter

CACHE_SECONDS = 30.0
CACHE_MAX = 10_000

# A signed-in browser's principal (the web UI's cookie), or None; given by the web domain.
SessionResolver = Callable[[HTTPConnection], Principal | None]


def bearer_token(request: HTTPConnection) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


def limiter_for(settings: Settings) -> RateLimiter:
    """Redis-backed when the bus is Redis (shared by every process), else in memory."""
    if not settings.limits.enabled:
        return NoRateLimits()
    redis_url = settings.redis_url if settings.bus == "redis" else None
    return LimitsRateLimiter(redis_url, key_prefix=settings.pipeline.stream_prefix)


class Guard:
    def __init__(self, db: Database, limiter: RateLimiter) -> None:
        self.db = db
        self.limiter = limiter
        self.sessions: SessionResolver | None = None
        self._cache: dict[str, tuple[Principal, float]] = {}
        self._revocations: int | None = None

    def principal(self, token: str | None) -> Principal:
        """The key's principal; a revoked key is refused on its very next request, in every
        process.

        Valid keys are cached (never unknown or revoked ones), keyed by token, together with
        the store's revocation count at the time. Each request reads that count (one aggregate
        over the small key table, no ORM): when any process — the CLI included — revokes a
        key, the count grows and this process drops its cache before answering.
        """
        if not token:
            raise Unauthorized("send an API key as 'Authorization: Bearer os_...'")
        now = clock.monotonic()
        with self.db.engine.connect() as conn:
            seen = revocations(conn)
        if self._revocations != seen:
            self._cache.clear()
            self._revocations = seen
        hit = self._cache.get(token)
        if hit is not None and hit[1] > now:
            return hit[0]
        with self.db.transaction() as session:
            principal = authenticate(session, token)
        if principal is None:
            self._cache.pop(token, None)
            raise Unauthorized("the API key is unknown or revoked")
        if len(self._cache) > CACHE_MAX:
            self._cache.clear()
        self._cache[token] = (principal, now + CACHE_SECONDS)
        return principal

    def session_principal(self, conn: HTTPConnection) -> Principal | None:
        """A signed-in browser when no API key is sent; the web domain's resolver checks CSRF
        on unsafe methods and the origin of WebSockets."""
        if self.sessions is None or bearer_token(conn) is not None:
            return None
        return self.sessions(conn)

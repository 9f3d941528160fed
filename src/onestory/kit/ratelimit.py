"""Rate limits and lockouts: one small interface, backed by the ``limits`` library.

A limit is a string such as ``"5/minute"`` counted per key (an account, a client address, a
visitor). Counters live in Redis when the deployment runs on Redis (so every process and
worker shares them) and in process memory otherwise. Callers either count an attempt and
get refused past the limit (``hit``), or look first and count only failures (``blocked`` +
``hit``), which is how sign-in locks an account after repeated wrong passwords.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from typing import Protocol

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import HTTPConnection

from onestory.kit.clock import epoch_seconds
from onestory.kit.errors import OneStoryError

log = logging.getLogger(__name__)


class TooManyRequests(OneStoryError):
    """429 with ``Retry-After`` (whole seconds) and the same value in the problem body."""

    status = 429
    title = "Too many requests"
    type_slug = "too-many-requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, extra={"retry_after": retry_after})
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class RateLimiter(Protocol):
    """Counts attempts per (limit, key) and says how long a caller must wait."""

    def hit(self, limit: str, *key: str) -> int | None:
        """Count one attempt; None when it is within ``limit``, else seconds to wait."""

    def blocked(self, limit: str, *key: str) -> int | None:
        """Seconds to wait when ``limit`` is already used up for ``key`` (counts nothing)."""

    def clear(self, limit: str, *key: str) -> None:
        """Forget the attempts counted for ``key``."""


class NoRateLimits:
    """:class:`RateLimiter` that never refuses (``ONESTORY_LIMITS__ENABLED=false``)."""

    def hit(self, limit: str, *key: str) -> int | None:
        return None

    def blocked(self, limit: str, *key: str) -> int | None:
        return None

    def clear(self, limit: str, *key: str) -> None:
        return None


class LimitsRateLimiter:
    """:class:`RateLimiter` on the ``limits`` library's moving window (exact, no bursts at
    window edges). ``redis_url`` None keeps the counters in this process."""

    def __init__(self, redis_url: str | None = None, *, key_prefix: str = "onestory") -> None:
        storage: Storage = (
            RedisStorage(redis_url, key_prefix=f"{key_prefix}:limits")
            if redis_url
            else MemoryStorage()
        )
        self._window = MovingWindowRateLimiter(storage)
        self._items: dict[str, RateLimitItem] = {}

    def _item(self, limit: str) -> RateLimitItem:
        item = self._items.get(limit)
        if item is None:
            item = self._items[limit] = parse(limit)
        return item

    def _wait(self, item: RateLimitItem, key: tuple[str, ...]) -> int:
        reset = self._window.get_window_stats(item, *key).reset_time
        return max(1, math.ceil(reset - epoch_seconds()))

    # A counter store that cannot be reached lets requests through (logged): a Redis outage
    # must not lock every agent out or turn the widget into 500s.
    def hit(self, limit: str, *key: str) -> int | None:
        item = self._item(limit)
        try:
            if self._window.hit(item, *key):
                return None
            return self._wait(item, key)
        except Exception:
            log.warning("rate-limit store unavailable; %s not enforced", limit, exc_info=True)
            return None

    def blocked(self, limit: str, *key: str) -> int | None:
        item = self._item(limit)
        try:
            if self._window.test(item, *key):
                return None
            return self._wait(item, key)
        except Exception:
            log.warning("rate-limit store unavailable; %s not enforced", limit, exc_info=True)
            return None

    def clear(self, limit: str, *key: str) -> None:
        try:
            self._window.clear(self._item(limit), *key)
        except Exception:
            log.warning("rate-limit store unavailable; %s not cleared", limit, exc_info=True)


def enforce(wait: int | None, what: str) -> None:
    """Raise the 429 problem for a refused attempt (``wait`` from :class:`RateLimiter`)."""
    if wait is not None:
        raise TooManyRequests(f"too many {what}; try again in {wait} s", retry_after=wait)


def client_address(conn: HTTPConnection, trusted_proxies: list[str] | tuple[str, ...] = ()) -> str:
    """The address a request comes from, for per-client limits.

    ``X-Forwarded-For`` is believed only when the direct peer is one of ``trusted_proxies``
    (addresses or networks, e.g. ``10.0.0.0/8``); then the right-most address that is not a
    trusted proxy is the client. Anything else could be forged to dodge the limits.
    """
    peer = conn.client.host if conn.client else "unknown"
    if not trusted_proxies or not _in(peer, trusted_proxies):
        return peer
    hops = [h.strip() for h in conn.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, trusted_proxies):
            return hop
    return peer


def _in(address: str, networks: list[str] | tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for net in networks:
        try:
            if ip in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            continue
    return False

"""The one clock: every reading of the time in OneStory goes through this module.

Wall time is always timezone-aware UTC inside OneStory. Code that has a clock injected asks it
(:class:`Clock`); the few places that cannot be handed one (id generation, a rate-limit library
that keeps its own epoch) use the functions at the bottom, which read the system clock.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the time.

    ``now`` is the wall time as an aware UTC datetime; ``monotonic`` is seconds on a clock
    that never goes backwards (for durations and cache lifetimes, never for timestamps).
    """

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class FrozenClock:
    """A clock for tests: it only moves when told to.

    :meth:`advance` moves both the wall time and the monotonic time; :meth:`set` moves only
    the wall time, as an operator changing the system clock would.
    """

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)
        self._ticks = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._ticks

    def advance(self, delta: timedelta) -> None:
        self._now += delta
        self._ticks += delta.total_seconds()

    def set(self, when: datetime) -> None:
        self._now = ensure_utc(when)


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` as aware UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def utcnow() -> datetime:
    """The system wall time, aware UTC (for code that is not handed a :class:`Clock`)."""
    return datetime.now(UTC)


def epoch_seconds() -> float:
    """The system wall time as seconds since the Unix epoch."""
    return time.time()


def epoch_ms() -> int:
    """The system wall time as whole milliseconds since the Unix epoch (id timestamps)."""
    return time.time_ns() // 1_000_000


def monotonic() -> float:
    """Seconds on the system's monotonic clock (durations only; not a time of day)."""
    return time.monotonic()

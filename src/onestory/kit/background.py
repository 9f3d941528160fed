"""Background services: what runs between a process's start and stop (a worker loop, a server,
a warm-up). Each has a name, so settings can choose which ones a process runs
(``ONESTORY_BACKGROUND``): all of them in the single-process server, or some in a separate
worker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol


class Background(Protocol):
    """A service started once, after the store is migrated, and stopped once, in reverse."""

    @property
    def name(self) -> str: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def _nothing() -> None:
    return None


class Hooks:
    """A background service made of two coroutine functions (either may be left out)."""

    def __init__(
        self,
        name: str,
        start: Callable[[], Awaitable[None]] | None = None,
        stop: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._name = name
        self._start = start or _nothing
        self._stop = stop or _nothing

    @property
    def name(self) -> str:
        return self._name

    async def start(self) -> None:
        await self._start()

    async def stop(self) -> None:
        await self._stop()

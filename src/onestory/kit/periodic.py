"""A job run every N seconds between a runtime's start and stop (promise checks, held
messages): one place for the loop, its cancellation and its error logging."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    """Runs ``job()`` every ``every`` seconds (0 switches it off); a failing run is logged
    and the next one still happens."""

    def __init__(self, name: str, every: float, job: Callable[[], Awaitable[object]]) -> None:
        self.name = name
        self.every = every
        self.job = job
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.every > 0:
            self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                await self.job()
            except Exception:
                log.exception("periodic job %s failed", self.name)

"""Garbage-collector settings for the long-running processes (``onestory serve`` / ``worker``).

CPython's default collector runs a young-generation pass every 700 net allocations and, every
so often, a full pass over every tracked object. A 1,000-event batch allocates hundreds of
thousands of objects, and a started server holds millions (AI models, lexicons, caches), so
the defaults cost a fifth of the ingest CPU and put long pauses into request latencies.

``enable()`` (called by the CLI, never by tests or embedders) raises the young-generation
threshold; `freeze_after_start` then moves everything alive after start-up, including the
models loaded in the background, into the permanent generation, which collections skip.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onestory.app_state import Runtime

log = logging.getLogger(__name__)

YOUNG_THRESHOLD = 10_000
_enabled = False


def enable() -> None:
    """Tune the collector for this process (a server or worker, not a library user)."""
    global _enabled
    _enabled = True
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)


def enabled() -> bool:
    return _enabled


def freeze() -> None:
    gc.collect()
    gc.freeze()


async def freeze_after_start(runtime: Runtime) -> None:
    """Freeze the start-up heap now, and again once the AI models have loaded."""
    if not _enabled:
        return
    freeze()
    warm_up = runtime.services.get("enricher_warm_up")
    if isinstance(warm_up, asyncio.Task):

        async def later() -> None:
            try:
                await asyncio.shield(warm_up)
            except BaseException:
                return
            freeze()
            log.debug("garbage collector: start-up heap frozen (%d objects)", gc.get_freeze_count())

        runtime.services["gc_freeze"] = asyncio.get_running_loop().create_task(later())

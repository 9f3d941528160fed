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
import time

log = logging.getLogger(__name__)

YOUNG_THRESHOLD = 10_000
_enabled = False
_later: asyncio.Task[None] | None = None


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


async def freeze_after_start(loading: asyncio.Task[None] | None) -> None:
    """Freeze the start-up heap now, and again once ``loading`` (the AI models' background
    load) has finished."""
    global _later
    if not _enabled:
        return
    freeze()
    if loading is None:
        return
    task = loading

    async def later() -> None:
        try:
            await asyncio.shield(task)
        except BaseException:
            return
        freeze()
        log.debug("garbage collector: start-up heap frozen (%d objects)", gc.get_freeze_count())

    _later = asyncio.get_running_loop().create_task(later())


class GcPauses:
    """Records the collector's passes (per generation) from creation until `stop`: what the
    benchmarks report next to tail latencies, since a full pass walks every tracked object."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.pauses[info["generation"]].append((time.perf_counter() - self._start) * 1000)

    def stop(self) -> dict[str, dict[str, float]]:
        """Stop recording; passes and the longest one (ms) per generation."""
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)
        return {
            f"gen{g}": {"count": len(v), "max_ms": round(max(v, default=0.0), 2)}
            for g, v in self.pauses.items()
        }

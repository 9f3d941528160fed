"""How ingest plugs in: the ingest and search routes, and the worker processes that
prepare large batches while this process records others."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass

from onestory.app_state import Runtime
from onestory.events.service import PayloadFilter
from onestory.ingest.endpoints import build_router
from onestory.ingest.parallel import PreparePool
from onestory.kit.background import Hooks
from onestory.plugin import Plugin


@dataclass(kw_only=True)
class IngestPlugin(Plugin):
    pool: PreparePool | None = None


def plugin(core: Runtime, filter_factory: Callable[[], PayloadFilter] | None) -> IngestPlugin:
    """The pool (unless switched off) prepares with a filter built by ``filter_factory`` in
    each worker process: the same rules as ``core.payload_filter``."""
    settings = core.settings.ingest
    processes = settings.prepare_processes
    if processes is None:
        processes = 1 if (os.cpu_count() or 1) >= 2 else 0
    if processes == 0:
        return IngestPlugin(name="ingest", api=[build_router(None)])
    pool = PreparePool(settings, filter_factory, processes, settings.prepare_min_bytes)
    warm_up = None
    if settings.prepare_warm_up:

        async def warm_up() -> None:
            # In the background: the API answers at once; the first large batch waits for the
            # spawn only if it comes within the first second or two.
            pool.warming = asyncio.get_running_loop().create_task(pool.warm_up())

    return IngestPlugin(
        name="ingest",
        pool=pool,
        api=[build_router(pool)],
        background=[Hooks("prepare-pool", warm_up, pool.aclose)],
    )

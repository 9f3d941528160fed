"""The running application's shared objects, built once by the lifespan (or by tests/CLI)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from onestory.bus.base import Bus
from onestory.bus.memory import MemoryBus
from onestory.bus.redis import RedisBus
from onestory.config import Settings, with_generated_secrets
from onestory.db import Database, create_database
from onestory.db.engine import WalCheckpointer
from onestory.kit import gctune
from onestory.kit.clock import Clock, SystemClock
from onestory.live.hub import LiveHub, MemoryHub, RedisHub
from onestory.pipeline.runner import Pipeline
from onestory.pipeline.uow import Work

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    bus: Bus
    live: LiveHub
    pipeline: Pipeline
    clock: Clock
    services: dict[str, Any] = field(default_factory=dict)
    # Domain start/stop hooks (an SMTP server, a warm-up, a scheduler); run in order.
    on_start: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # The one unit of work every writer uses (transaction + clock + after-commit buffer).
        self.work = Work(self.db, self.clock, self.pipeline, self.live)


def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    clock = clock or SystemClock()
    settings = with_generated_secrets(settings)
    db = create_database(
        settings.database_url,
        echo=settings.db.echo,
        pool_size=settings.db.pool_size,
        sqlite_synchronous=settings.db.sqlite_synchronous,
    )
    bus: Bus
    live: LiveHub
    if settings.bus == "redis":
        bus = RedisBus(settings.redis_url, settings.pipeline.stream_prefix)
        live = RedisHub(settings.redis_url, settings.pipeline.stream_prefix)
    else:
        bus = MemoryBus()
        live = MemoryHub()
    services: dict[str, Any] = {"settings": settings, "live": live}
    pipeline = Pipeline(db, bus, clock, services=services, batch_size=settings.pipeline.batch_size)
    runtime = Runtime(settings, db, bus, live, pipeline, clock, services)
    if db.is_sqlite:
        checkpointer = WalCheckpointer(db)

        async def start_checkpoints() -> None:
            checkpointer.start()

        async def stop_checkpoints() -> None:
            await asyncio.to_thread(checkpointer.stop)

        runtime.on_start.append(start_checkpoints)
        runtime.on_stop.append(stop_checkpoints)
    from onestory.wiring import setup

    setup(runtime)
    return runtime


async def start_runtime(runtime: Runtime, *, workers: bool) -> None:
    await runtime.live.start()
    for hook in runtime.on_start:
        await hook()
    if workers:
        await runtime.pipeline.start()
    await gctune.freeze_after_start(runtime)


async def stop_runtime(runtime: Runtime) -> None:
    await runtime.pipeline.stop()
    for hook in reversed(runtime.on_stop):
        try:
            await hook()
        except Exception:
            log.exception("a stop hook failed")
    await runtime.live.close()
    await runtime.bus.close()
    await asyncio.to_thread(runtime.db.dispose)

"""The core every domain is built on: settings, store, bus, live hub, pipeline, clock, the unit
of work and the guard. It knows no domain; ``bootstrap.py`` builds it and then the domains'
plugins on top of it."""

from __future__ import annotations

from dataclasses import dataclass, field

from onestory.auth.guard import Guard, limiter_for
from onestory.bus.base import Bus
from onestory.bus.memory import MemoryBus
from onestory.bus.redis import RedisBus
from onestory.config import Settings, with_generated_secrets
from onestory.db import Database, create_database
from onestory.events.service import PayloadFilter
from onestory.kit.clock import Clock, SystemClock
from onestory.live.hub import LiveHub, MemoryHub, RedisHub
from onestory.pipeline.runner import Pipeline
from onestory.pipeline.uow import Work


@dataclass
class Runtime:
    settings: Settings
    db: Database
    bus: Bus
    live: LiveHub
    pipeline: Pipeline
    clock: Clock
    guard: Guard
    # Redacts personal data from every event before it is stored (the ingest path's filter).
    payload_filter: PayloadFilter | None = None
    work: Work = field(init=False)

    def __post_init__(self) -> None:
        # The one unit of work every writer uses (transaction + clock + after-commit buffer).
        self.work = Work(self.db, self.clock, self.pipeline, self.live)


def build_core(
    settings: Settings, *, clock: Clock | None = None, payload_filter: PayloadFilter | None = None
) -> Runtime:
    """The core from settings: SQLite and in-process bus by default, PostgreSQL and Redis when
    configured. Nothing connects until the application starts."""
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
    pipeline = Pipeline(db, bus, clock, batch_size=settings.pipeline.batch_size)
    guard = Guard(db, limiter_for(settings))
    return Runtime(settings, db, bus, live, pipeline, clock, guard, payload_filter)

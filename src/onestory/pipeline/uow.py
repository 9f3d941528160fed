"""The one unit of work: a transaction, the clock, and an after-commit buffer.

Endpoints, channels and background jobs that record story events do it through a
:class:`UnitOfWork` (the CLI still opens plain transactions: it publishes nothing live and
the pipeline recovers its job rows at start-up). Events recorded inside it (``uow.record``)
and live pushes queued on it (``uow.push``) leave the process only after the transaction
committed, once: the events' seqs go to the pipeline, each story event to the live screens
as ``story.recorded``, then the queued pushes, in order. A rolled-back unit publishes
nothing.

Usage::

    result = await work.run(lambda uow: do_change(uow.session, uow.now), write=True)

or, where the caller must publish at a moment of its own choosing (grouped inbound writes)::

    with work.begin() as uow: ...
    await work.publish(uow)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from onestory.db import Database
from onestory.events.service import EventDraft, Recorded, record
from onestory.kit.clock import Clock
from onestory.live import messages
from onestory.live.hub import LiveHub
from onestory.pipeline.runner import Pipeline

T = TypeVar("T")


@dataclass
class UnitOfWork:
    """What one transaction did, held until it commits."""

    session: Session
    clock: Clock
    recorded: Recorded = field(default_factory=Recorded)
    pushes: list[messages.Push] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.now = self.clock.now()

    def record(self, drafts: Sequence[EventDraft]) -> Recorded:
        """Record story events in this transaction; they are published after commit."""
        if not drafts:
            return Recorded()
        done = record(self.session, list(drafts), clock=self.clock)
        self.recorded.extend(done)
        return done

    def adopt(self, done: Recorded) -> None:
        """Publish events another writer recorded in this transaction (the bulk ingest
        path records through its own fast path)."""
        self.recorded.extend(done)

    def push(self, push: messages.Push) -> None:
        """Send a live message once this transaction has committed."""
        self.pushes.append(push)


class Work:
    """Opens units of work and publishes what they did after commit."""

    def __init__(self, db: Database, clock: Clock, pipeline: Pipeline, live: LiveHub) -> None:
        self.db = db
        self.clock = clock
        self.pipeline = pipeline
        self.live = live

    @contextmanager
    def begin(self, *, write: bool = True) -> Iterator[UnitOfWork]:
        """A unit of work in the calling thread; the caller awaits :meth:`publish` after."""
        with self.db.transaction(write=write) as session:
            yield UnitOfWork(session, self.clock)

    def run_sync(
        self, fn: Callable[[UnitOfWork], T], *, write: bool = True
    ) -> tuple[T, UnitOfWork]:
        with self.begin(write=write) as uow:
            result = fn(uow)
        return result, uow

    async def run(self, fn: Callable[[UnitOfWork], T], *, write: bool = True) -> T:
        """Run ``fn`` in one transaction off the event loop, then publish what it did."""
        result, uow = await run_in_threadpool(self.run_sync, fn, write=write)
        await self.publish(uow)
        return result

    async def publish(self, uow: UnitOfWork) -> None:
        """After commit: feed the pipeline, show the story events live, send the pushes."""
        await self.publish_recorded(uow.recorded)
        for channels, message in uow.pushes:
            await self.live.publish(channels, message)

    async def publish_recorded(self, recorded: Recorded) -> None:
        await self.pipeline.publish(recorded)
        for row in recorded.rows:
            if row["customer_id"]:
                channels, message = messages.story_recorded(row)
                await self.live.publish(channels, message)

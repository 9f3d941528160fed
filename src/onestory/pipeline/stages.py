"""What a pipeline stage handler sees and may do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from onestory.events.service import EventDraft
from onestory.kit.clock import Clock

STAGES: tuple[str, ...] = ("enrich", "project", "detect", "act", "notify")


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """A recorded event as stage handlers see it; ``customer_id`` is the current survivor."""

    seq: int
    id: str
    type: str
    source: str
    channel: str | None
    occurred_at: datetime
    received_at: datetime
    customer_id: str | None
    payload: dict[str, Any]
    text: str | None


AfterCommit = Callable[[], Awaitable[None]]


@dataclass
class StageContext:
    """Per-transaction context: the clock, the events to emit, and what to do after commit.
    A handler's own dependencies are given to it when it is built (see ``plugin.py``)."""

    clock: Clock
    stage: str
    drafts: list[EventDraft] = field(default_factory=list)
    after_commit: list[AfterCommit] = field(default_factory=list)
    # What the stage's preparers computed outside the write transaction (by preparer name).
    prepared: dict[str, Any] = field(default_factory=dict)

    def emit(self, draft: EventDraft) -> None:
        """Record a new event in this stage's transaction (give it an idempotency key so a
        re-run of the stage does not record it twice)."""
        self.drafts.append(draft)

    def on_commit(self, fn: AfterCommit) -> None:
        """Run ``fn`` once the transaction has committed (live pushes, outbound sends)."""
        self.after_commit.append(fn)


class StageHandler(Protocol):
    """A pipeline stage handler. It runs inside the stage's transaction and must be
    idempotent: after a crash the same events can be handed to it again."""

    def __call__(self, session: Session, events: list[StoredEvent], ctx: StageContext) -> None: ...

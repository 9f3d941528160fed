"""Releases messages held back by quiet hours, periodically and on demand."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi.concurrency import run_in_threadpool

from onestory.events.service import Recorded, record
from onestory.kit.clock import Clock
from onestory.kit.periodic import Periodic
from onestory.proactive.engine import send_deferred

if TYPE_CHECKING:
    from onestory.app_state import Runtime

log = logging.getLogger(__name__)


async def release_deferred(runtime: Runtime, *, clock: Clock | None = None) -> int:
    """Queue every held message whose quiet hours are over; returns how many were queued."""
    clk = clock or runtime.clock

    def work() -> tuple[Recorded, int]:
        with runtime.db.transaction(write=True) as session:
            drafts = send_deferred(session, runtime.settings.proactive, clk.now())
            return record(session, drafts, clock=clk), sum(d.type == "message.sent" for d in drafts)

    recorded, queued = await run_in_threadpool(work)
    await runtime.after_record(recorded)
    return queued


class DeferredSender(Periodic):
    """Runs ``release_deferred`` every ``every`` seconds between start and stop."""

    def __init__(self, runtime: Runtime, every: float) -> None:
        super().__init__("proactive-deferred", every, lambda: release_deferred(runtime))
        self.runtime = runtime

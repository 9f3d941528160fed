"""Releases messages held back by quiet hours, periodically and on demand."""

from __future__ import annotations

import logging

from onestory.app_state import Runtime
from onestory.kit.clock import Clock
from onestory.kit.periodic import Periodic
from onestory.pipeline.uow import UnitOfWork
from onestory.proactive.engine import send_deferred

log = logging.getLogger(__name__)


async def release_deferred(runtime: Runtime, *, clock: Clock | None = None) -> int:
    """Queue every held message whose quiet hours are over; returns how many were queued."""
    clk = clock or runtime.clock

    def work(uow: UnitOfWork) -> int:
        drafts = send_deferred(uow.session, runtime.settings.proactive, clk.now())
        uow.record(drafts)
        return sum(d.type == "message.sent" for d in drafts)

    return await runtime.work.run(work)


class DeferredSender(Periodic):
    """Runs ``release_deferred`` every ``every`` seconds between start and stop."""

    def __init__(self, runtime: Runtime, every: float) -> None:
        super().__init__("proactive-deferred", every, lambda: release_deferred(runtime))
        self.runtime = runtime

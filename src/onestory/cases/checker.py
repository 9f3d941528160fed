"""The periodic promise checker: breaks open promises whose due time has passed."""

from __future__ import annotations

import logging

from onestory.app_state import Runtime
from onestory.cases import promise as promise_rules
from onestory.kit.clock import Clock
from onestory.kit.periodic import Periodic
from onestory.pipeline.uow import UnitOfWork

log = logging.getLogger(__name__)


async def check_promises(runtime: Runtime, *, clock: Clock | None = None) -> int:
    """Break overdue promises now (``clock`` defaults to the runtime's); returns how many."""
    clk = clock or runtime.clock

    def work(uow: UnitOfWork) -> int:
        return len(uow.record(promise_rules.break_overdue(uow.session, now=clk.now())).seqs)

    return await runtime.work.run(work)


class PromiseChecker(Periodic):
    """Runs ``check_promises`` every ``every`` seconds between the runtime's start and stop."""

    def __init__(self, runtime: Runtime, every: float) -> None:
        super().__init__("promise-checker", every, lambda: check_promises(runtime))
        self.runtime = runtime

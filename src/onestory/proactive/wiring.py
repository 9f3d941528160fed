"""How this domain plugs into the running app: stage handlers, services, start/stop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import IntegrityError

from onestory.cases.promise import FULFILLING
from onestory.proactive.engine import playbooks_acted
from onestory.proactive.playbooks import specs, sync_files
from onestory.proactive.scheduler import DeferredSender
from onestory.proactive.signals import signals_detected, urgent_types

if TYPE_CHECKING:
    from onestory.app_state import Runtime


def setup(runtime: Runtime) -> None:
    """Signals in the detect stage, playbooks in the act stage; the shipped YAML playbooks
    are loaded into the store at start (a higher file version replaces the stored one)."""
    runtime.pipeline.add_handler("detect", signals_detected)
    runtime.pipeline.add_handler("act", playbooks_acted)
    # A failed payment must not wait behind a backlog of page views; nor may the events that
    # settle promises, or a backlog would let the promise checker break a kept promise.
    runtime.pipeline.prioritise(urgent_types())
    runtime.pipeline.prioritise([*FULFILLING, "task.updated"])

    async def load_playbooks() -> None:
        def work() -> list[str]:
            # An API process and a worker starting together both load the files: the one that
            # loses the race on the primary key tries again and finds the rows there.
            for attempt in range(3):
                try:
                    with runtime.db.transaction(write=True) as session:
                        names = sync_files(
                            session,
                            now=runtime.clock.now(),
                            extra_dir=runtime.settings.proactive.playbooks_dir,
                        )
                        # Events that playbooks react to directly are urgent too.
                        runtime.pipeline.prioritise(
                            t
                            for pb, _on in specs(session, enabled_only=False)
                            for t in pb.when.events
                        )
                        return names
                except IntegrityError:
                    if attempt == 2:
                        raise
            return []

        await run_in_threadpool(work)

    runtime.on_start.append(load_playbooks)
    sender = DeferredSender(runtime, runtime.settings.proactive.promise_check_seconds)
    runtime.services["proactive_deferred_sender"] = sender
    runtime.on_start.append(sender.start)
    runtime.on_stop.append(sender.stop)

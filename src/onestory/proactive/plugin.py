"""How proactive service plugs in: signals in the detect stage, playbooks in the act stage,
the shipped YAML playbooks loaded into the store at start (a higher file version replaces the
stored one), and the sender of outreach held back by quiet hours."""

from __future__ import annotations

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import IntegrityError

from onestory.app_state import Runtime
from onestory.cases.promise import FULFILLING
from onestory.kit.background import Hooks
from onestory.plugin import Plugin
from onestory.proactive.endpoints import router
from onestory.proactive.engine import Playbooks
from onestory.proactive.playbooks import specs, sync_files
from onestory.proactive.scheduler import DeferredSender
from onestory.proactive.signals import Signals, urgent_types


def plugin(core: Runtime) -> Plugin:
    settings = core.settings.proactive
    plugin = Plugin(
        name="proactive",
        handlers=[
            ("detect", Signals(settings).detect),
            ("act", Playbooks(settings, core.live).act),
        ],
        api=[router],
    )
    # A failed payment must not wait behind a backlog of page views; nor may the events that
    # settle promises, or a backlog would let the promise checker break a kept promise.
    plugin.prioritise(urgent_types())
    plugin.prioritise([*FULFILLING, "task.updated"])

    async def load_playbooks() -> None:
        def work() -> list[str]:
            # An API process and a worker starting together both load the files: the one that
            # loses the race on the primary key tries again and finds the rows there.
            for attempt in range(3):
                try:
                    with core.db.transaction(write=True) as session:
                        names = sync_files(
                            session, now=core.clock.now(), extra_dir=settings.playbooks_dir
                        )
                        # Events that playbooks react to directly are urgent too.
                        core.pipeline.prioritise(
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

    plugin.background += [
        Hooks("playbooks", load_playbooks),
        DeferredSender(core, settings.promise_check_seconds),
    ]
    return plugin

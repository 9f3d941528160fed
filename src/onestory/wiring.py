"""Which domain plugs in where: one place to read the whole flow.

Stage handlers run in registration order within a stage::

    enrich   AI insights per message (language, intent, sentiment, emotion, effort, PII, ...)
    project  conversations, then cases / promises / tasks
    detect   proactive signals
    act      playbooks (guardrailed outreach, cases, tasks)
    notify   live pushes to every open screen
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from onestory.cases import wiring as cases
from onestory.conversations import wiring as conversations
from onestory.enrich import wiring as enrich
from onestory.events import parallel
from onestory.live import tasks as live_tasks
from onestory.proactive import wiring as proactive
from onestory.web import wiring as web

if TYPE_CHECKING:
    from onestory.app_state import Runtime


def setup(runtime: Runtime) -> None:
    enrich.setup(runtime)
    parallel.setup(runtime)
    conversations.setup(runtime)
    cases.setup(runtime)
    proactive.setup(runtime)
    web.setup(runtime)
    runtime.pipeline.add_handler("notify", live_tasks.story_item_processed)

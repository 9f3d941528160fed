"""The composition root: the whole application built from settings, in one place.

The core (store, bus, live hub, pipeline, clock, unit of work, guard) comes first; then each
domain's plugin, given the core and, typed, the services of the domains it uses. The order of
``Application.plugins`` is the flow: within a stage, handlers run in this order::

    enrich         AI insights per message (language, intent, sentiment, PII, ...)   enrich
    conversations  messages become conversations                                      project
    channels       queued replies are delivered                                       act
    cases          cases, promises and tasks from the story                           project
    proactive      signals, then playbooks                                     detect, act
    notify         every fully processed item pushed to open screens                  notify

Only ``app.py``, the CLI and tests import this module.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from fastapi import APIRouter

from onestory.app_state import Runtime, build_core
from onestory.cases import plugin as cases
from onestory.cases.plugin import CasesPlugin
from onestory.channels import plugin as channels
from onestory.channels.plugin import ChannelsPlugin
from onestory.config import Settings
from onestory.conversations import plugin as conversations
from onestory.db.engine import WalCheckpointer
from onestory.enrich import plugin as enrich
from onestory.enrich.plugin import EnrichPlugin
from onestory.ingest import plugin as ingest
from onestory.ingest.plugin import IngestPlugin
from onestory.kit import gctune
from onestory.kit.background import Background, Hooks
from onestory.kit.clock import Clock
from onestory.notify import plugin as notify
from onestory.plugin import Plugin
from onestory.privacy import plugin as privacy
from onestory.proactive import plugin as proactive
from onestory.profiles import plugin as profiles
from onestory.users import plugin as users
from onestory.web import plugin as web
from onestory.web.plugin import WebPlugin

log = logging.getLogger(__name__)


@dataclass
class Application:
    core: Runtime
    store: Plugin
    enrich: EnrichPlugin
    ingest: IngestPlugin
    profiles: Plugin
    conversations: Plugin
    channels: ChannelsPlugin
    cases: CasesPlugin
    proactive: Plugin
    privacy: Plugin
    users: Plugin
    web: WebPlugin
    notify: Plugin

    @property
    def plugins(self) -> list[Plugin]:
        """Every plugin, in flow order."""
        return [
            self.store,
            self.enrich,
            self.ingest,
            self.profiles,
            self.conversations,
            self.channels,
            self.cases,
            self.proactive,
            self.privacy,
            self.users,
            self.web,
            self.notify,
        ]

    @property
    def background(self) -> list[Background]:
        """The background services this process runs (``settings.background``; all when
        empty), in start order."""
        chosen = set(self.core.settings.background)
        return [b for p in self.plugins for b in p.background if not chosen or b.name in chosen]

    def api(self) -> APIRouter:
        """Every domain's routes under /v1."""
        router = APIRouter(prefix="/v1")
        for p in self.plugins:
            for r in p.api:
                router.include_router(r)
        return router

    def pages(self) -> list[APIRouter]:
        return [r for p in self.plugins for r in p.pages]


def _store(core: Runtime) -> Plugin:
    """SQLite's write-ahead log is checkpointed off the writers' path (db/engine.py)."""
    if not core.db.is_sqlite:
        return Plugin(name="store")
    checkpointer = WalCheckpointer(core.db)

    async def start() -> None:
        checkpointer.start()

    async def stop() -> None:
        await asyncio.to_thread(checkpointer.stop)

    return Plugin(name="store", background=[Hooks("wal-checkpoint", start, stop)])


def build(settings: Settings, *, clock: Clock | None = None) -> Application:
    """The application from settings; nothing connects or starts until ``start``."""
    pii = enrich.pii(settings)
    core = build_core(settings, clock=clock, payload_filter=pii.redactor)
    app = Application(
        core=core,
        store=_store(core),
        enrich=enrich.plugin(core, pii),
        ingest=ingest.plugin(core, pii.factory),
        profiles=profiles.plugin(core),
        conversations=conversations.plugin(core),
        channels=channels.plugin(core),
        cases=cases.plugin(core),
        proactive=proactive.plugin(core),
        privacy=privacy.plugin(core),
        users=users.plugin(core),
        web=web.plugin(core),
        notify=notify.plugin(core),
    )
    # The API guard accepts a signed-in browser in place of a key.
    core.guard.sessions = app.web.sessions.principal
    for p in app.plugins:
        for stage, handler in p.preparers:
            core.pipeline.add_preparer(stage, handler)
        for stage, handler in p.handlers:
            core.pipeline.add_handler(stage, handler)
        core.pipeline.prioritise(p.urgent)
    return app


async def start(app: Application, *, workers: bool) -> None:
    """Start the live hub, the background services in order and (``workers``) the stage
    workers; the store must be migrated first."""
    await app.core.live.start()
    for service in app.background:
        await service.start()
    if workers:
        await app.core.pipeline.start()
    warm_up = app.enrich.warm_up
    await gctune.freeze_after_start(warm_up.task if warm_up is not None else None)


async def stop(app: Application) -> None:
    """Stop in reverse; a failing service is logged and the others still stop."""
    core = app.core
    await core.pipeline.stop()
    for service in reversed(app.background):
        try:
            await service.stop()
        except Exception:
            log.exception("stopping %s failed", service.name)
    await core.live.close()
    await core.bus.close()
    await asyncio.to_thread(core.db.dispose)

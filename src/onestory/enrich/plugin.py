"""How the enrich domain plugs in: personal-data redaction at ingest (built before the core,
which records through it), the enrich stage, the AI routes and the background model load."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from onestory.ai import privacy
from onestory.ai.redaction import PayloadRedactor, load_or_create_key
from onestory.app_state import Runtime
from onestory.config import Settings
from onestory.enrich.endpoints import build_router
from onestory.enrich.engine import Enricher
from onestory.enrich.jobs import RetrainJobs
from onestory.enrich.stage import EnrichStage
from onestory.kit.background import Hooks
from onestory.plugin import Plugin

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pii:
    """The personal-data policy: the key (the "encrypt" policy) and the payload filter."""

    key: bytes | None
    redactor: PayloadRedactor
    # How batch-preparation worker processes build the same filter (ingest/parallel.py).
    factory: Callable[[], PayloadRedactor]


def pii(settings: Settings) -> Pii:
    ai = settings.ai
    key = load_or_create_key(ai, settings.data_dir)
    redactor = PayloadRedactor(ai, key)
    # The same rules for OneStory's own events and every other store (ai/privacy.py).
    privacy.install(redactor)
    return Pii(key, redactor, functools.partial(PayloadRedactor, ai, key))


class ModelWarmUp:
    """Loads the models in the background so the API answers at once; the enrich stage simply
    waits for the load on its first batch. ``state``: loading, ready (or failed and logged:
    the neutral fallbacks answer)."""

    name = "ai-warm-up"

    def __init__(self, enricher: Enricher) -> None:
        self.enricher = enricher
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        async def load() -> None:
            try:
                await asyncio.to_thread(self.enricher.warm_up)
            except Exception:
                log.exception("AI models failed to load; insights will say 'unknown'")

        self.task = asyncio.get_running_loop().create_task(load())

    async def stop(self) -> None:
        return None

    @property
    def state(self) -> str:
        return "ready" if self.task is not None and self.task.done() else "loading"


@dataclass(kw_only=True)
class EnrichPlugin(Plugin):
    pii: Pii
    enricher: Enricher | None = None
    jobs: RetrainJobs | None = None
    warm_up: ModelWarmUp | None = None

    @property
    def models_state(self) -> str:
        """off (AI switched off), loading, or ready."""
        return "off" if self.warm_up is None else self.warm_up.state


def plugin(core: Runtime, pii: Pii) -> EnrichPlugin:
    settings = core.settings
    ai = settings.ai
    if not ai.enabled:
        return EnrichPlugin(name="enrich", pii=pii, api=[build_router(None, None, pii.key)])
    enricher = Enricher(ai, ai.models_dir or settings.data_dir / "models")
    jobs = RetrainJobs(core, enricher)

    async def recover_jobs() -> None:
        stale = await asyncio.to_thread(jobs.recover)
        if stale:
            log.warning("%d AI job(s) were left unfinished by a stop; marked failed", stale)

    async def stop_jobs() -> None:
        jobs.close()

    stage = EnrichStage(enricher)
    warm_up = ModelWarmUp(enricher)
    return EnrichPlugin(
        name="enrich",
        pii=pii,
        enricher=enricher,
        jobs=jobs,
        warm_up=warm_up,
        handlers=[("enrich", stage.write)],
        preparers=[("enrich", stage.prepare)],
        api=[build_router(enricher, jobs, pii.key)],
        background=[Hooks("ai-jobs", recover_jobs, stop_jobs), warm_up],
    )

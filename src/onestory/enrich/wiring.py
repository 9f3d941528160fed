"""How this domain plugs into the running app: stage handlers, services, start/stop."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING

from onestory.enrich.engine import Enricher
from onestory.enrich.jobs import RetrainJobs
from onestory.enrich.redaction import PayloadRedactor, load_or_create_key
from onestory.enrich.stage import enrich_events, prepare_enrichment
from onestory.kit import privacy

if TYPE_CHECKING:
    from onestory.app_state import Runtime

log = logging.getLogger(__name__)


def setup(runtime: Runtime) -> None:
    """Personal data is redacted at ingest; the enrich stage writes AI insights."""
    settings = runtime.settings
    ai = settings.ai
    key = load_or_create_key(ai, settings.data_dir)
    runtime.services["pii_key"] = key
    redactor = PayloadRedactor(ai, key)
    runtime.services["payload_filter"] = redactor
    # The same rules for OneStory's own events and every other store (kit/privacy.py).
    privacy.install(redactor)
    # How batch-preparation worker processes build the same filter (events/parallel.py).
    runtime.services["payload_filter_factory"] = functools.partial(PayloadRedactor, ai, key)
    if not ai.enabled:
        return
    enricher = Enricher(ai, ai.models_dir or settings.data_dir / "models")
    runtime.services["enricher"] = enricher
    runtime.pipeline.add_preparer("enrich", prepare_enrichment)
    runtime.pipeline.add_handler("enrich", enrich_events)
    jobs = RetrainJobs(runtime, enricher)
    runtime.services["ai_jobs"] = jobs

    async def recover_jobs() -> None:
        stale = await asyncio.to_thread(jobs.recover)
        if stale:
            log.warning("%d AI job(s) were left unfinished by a stop; marked failed", stale)

    async def stop_jobs() -> None:
        jobs.close()

    runtime.on_start.append(recover_jobs)
    runtime.on_stop.append(stop_jobs)

    async def warm_up() -> None:
        # Loading the models takes seconds: do it in the background so the API answers at
        # once; the enrich stage simply waits for the load on its first batch.
        async def load() -> None:
            try:
                await asyncio.to_thread(enricher.warm_up)
            except Exception:
                log.exception("AI models failed to load; insights will say 'unknown'")

        runtime.services["enricher_warm_up"] = asyncio.get_running_loop().create_task(load())

    runtime.on_start.append(warm_up)

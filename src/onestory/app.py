"""create_app(): the ASGI application. ``bootstrap.build`` composes the core and every domain
from settings; the lifespan migrates the schema and starts it (embedded default: with the
stage workers)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import text

from onestory import __version__, bootstrap
from onestory.bootstrap import Application
from onestory.channels.cors import WidgetCors
from onestory.config import Settings, get_settings
from onestory.db.migrate import upgrade
from onestory.kit.clock import Clock
from onestory.kit.http import ORJSONResponse, install_error_handlers
from onestory.kit.inputs import reject_unstorable
from onestory.kit.openapi import install_openapi
from onestory.kit.security_headers import SecurityHeaders

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    application: Application | None = None,
    migrate: bool = True,
) -> FastAPI:
    """The application's routes, built at once (``bootstrap.build``); the lifespan migrates
    the store, then starts the background services and (embedded default) the workers."""
    settings = settings or get_settings()
    built = application or bootstrap.build(settings, clock=clock)
    rt = built.core

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await run_in_threadpool(upgrade, rt.db.engine)
        await bootstrap.start(built, workers=settings.pipeline.inprocess_workers)
        log.info("OneStory %s ready (store=%s, bus=%s)", __version__, rt.db.dialect, rt.bus.name)
        try:
            yield
        finally:
            await bootstrap.stop(built)

    app = FastAPI(
        title="OneStory",
        version=__version__,
        description="Every customer has one story. Open-source, self-hostable CX platform.",
        lifespan=lifespan,
        default_response_class=ORJSONResponse,
        # Every route, one check: no parameter or body text a store cannot hold.
        dependencies=[Depends(reject_unstorable)],
    )
    # The core for the routes' dependencies (deps.get_runtime); the whole application for
    # tests and tools that reach a domain's services.
    app.state.runtime = rt
    app.state.application = built
    install_error_handlers(app)
    # CORS for the chat widget's routes only, from the origins a brand allowed.
    app.add_middleware(WidgetCors, origins=built.channels.origins)
    app.add_middleware(SecurityHeaders, csp_exempt=(app.docs_url or "", app.redoc_url or ""))
    install_openapi(app)
    app.include_router(built.api())
    for pages in built.pages():
        app.include_router(pages)

    @app.get("/health", tags=["health"], summary="Liveness and pipeline backlog (no key needed)")
    async def health() -> dict[str, object]:
        def check() -> int:
            with rt.db.transaction() as s:
                s.execute(text("SELECT 1"))
            return rt.pipeline.pending_count()

        pending = await run_in_threadpool(check)
        return {
            "status": "ok",
            "version": __version__,
            "store": rt.db.dialect,
            "bus": rt.bus.name,
            "pipeline_pending": pending,
            "ai_models": built.enrich.models_state,
        }

    return app

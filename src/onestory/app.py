"""create_app(): the ASGI application. The lifespan builds the store, bus, live hub and
pipeline from settings, migrates the schema, and (embedded default) runs the stage workers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import text

from onestory import __version__
from onestory.api import router as api_router
from onestory.app_state import Runtime, build_runtime, start_runtime, stop_runtime
from onestory.channels.cors import WidgetCors
from onestory.config import Settings, get_settings
from onestory.db.migrate import upgrade
from onestory.kit.clock import Clock
from onestory.kit.http import ORJSONResponse, install_error_handlers
from onestory.kit.inputs import reject_unstorable
from onestory.kit.openapi import install_openapi
from onestory.kit.security_headers import SecurityHeaders
from onestory.web.routes import router as web_router

log = logging.getLogger(__name__)


def _models_state(rt: Runtime) -> str:
    """ "loading" while the AI models load in the background after start, then "ready" (a
    failed load is logged and leaves the neutral fallbacks); "off" when AI is switched off."""
    task = rt.services.get("enricher_warm_up")
    if "enricher" not in rt.services:
        return "off"
    if not isinstance(task, asyncio.Task) or not task.done():
        return "loading"
    return "ready"


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    runtime: Runtime | None = None,
    migrate: bool = True,
) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = runtime or build_runtime(settings, clock=clock)
        if migrate:
            await run_in_threadpool(upgrade, rt.db.engine)
        app.state.runtime = rt
        await start_runtime(rt, workers=settings.pipeline.inprocess_workers)
        log.info("OneStory %s ready (store=%s, bus=%s)", __version__, rt.db.dialect, rt.bus.name)
        try:
            yield
        finally:
            await stop_runtime(rt)

    app = FastAPI(
        title="OneStory",
        version=__version__,
        description="Every customer has one story. Open-source, self-hostable CX platform.",
        lifespan=lifespan,
        default_response_class=ORJSONResponse,
        # Every route, one check: no parameter or body text a store cannot hold.
        dependencies=[Depends(reject_unstorable)],
    )
    install_error_handlers(app)
    # CORS for the chat widget's routes only, from the origins a brand allowed.
    app.add_middleware(WidgetCors)
    app.add_middleware(SecurityHeaders, csp_exempt=(app.docs_url or "", app.redoc_url or ""))
    install_openapi(app)
    app.include_router(api_router)
    app.include_router(web_router)

    @app.get("/health", tags=["health"], summary="Liveness and pipeline backlog (no key needed)")
    async def health() -> dict[str, object]:
        rt: Runtime = app.state.runtime

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
            "ai_models": _models_state(rt),
        }

    return app

"""Event ingestion: one event, or a batch of up to 1,000 with per-item results."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from onestory.app_state import Runtime
from onestory.auth.service import Principal
from onestory.customers import repository as customers_repo
from onestory.customers import service as customers_service
from onestory.customers.schemas import SearchHit, SearchResult
from onestory.deps import RuntimeDep, SessionDep, require
from onestory.events import repository as repo
from onestory.events.schemas import BatchResult, IngestResult
from onestory.events.service import ItemOutcome
from onestory.ingest.parallel import PreparePool, parse_batch
from onestory.ingest.service import ingest_with_retry, record_with_retry
from onestory.kit.errors import InvalidInput, OneStoryError, PayloadTooLarge, field_error
from onestory.kit.http import ORJSONResponse, read_body, read_json

Writer = Annotated[Principal, Depends(require("events:write"))]
Reader = Annotated[Principal, Depends(require("customers:read"))]


def _raise_for(outcome: ItemOutcome) -> None:
    err: OneStoryError
    if outcome.status == 413:
        err = PayloadTooLarge("the event payload is too large", errors=outcome.errors)
    else:
        err = InvalidInput("the event is invalid", errors=outcome.errors)
    raise err


async def _ingest(runtime: Runtime, items: list[Any]) -> list[ItemOutcome]:
    # The bulk path records through its own retrying transaction; it publishes through the
    # unit of work's one after-commit path.
    outcomes, recorded = await run_in_threadpool(ingest_with_retry, runtime, items)
    await runtime.work.publish_recorded(recorded)
    return outcomes


def build_router(pool: PreparePool | None) -> APIRouter:
    """The ingest and search routes; a large batch is prepared in pool's worker process."""
    router = APIRouter(tags=["events"])

    @router.post(
        "/events",
        status_code=201,
        response_model=IngestResult,
        summary="Record one event",
        responses={200: {"description": "Already recorded (same source and idempotency key)"}},
    )
    async def post_event(request: Request, runtime: RuntimeDep, _: Writer) -> Response:
        body = await read_json(request, runtime.settings.ingest.max_body_bytes)
        if not isinstance(body, dict):
            raise InvalidInput(
                "send one event as a JSON object", errors=[field_error("body", "not an object")]
            )
        (outcome,) = await _ingest(runtime, [body])
        if outcome.status >= 400:
            _raise_for(outcome)
        result = IngestResult(
            id=outcome.id or "", customer_id=outcome.customer_id, duplicate=outcome.duplicate
        )
        return ORJSONResponse(result.model_dump(), status_code=outcome.status)

    @router.post("/events/batch", response_model=BatchResult, summary="Record up to 1,000 events")
    async def post_batch(request: Request, runtime: RuntimeDep, _: Writer) -> Response:
        body = await read_body(request, runtime.settings.ingest.max_body_bytes)
        prepared = None
        outcomes: list[ItemOutcome] = []
        if pool is not None and pool.wants(body):
            pool.batches_in_flight += 1
            try:
                # Alone, a batch is prepared half here, half in a worker; with others in flight
                # the API process has recording to do and the worker prepares it all.
                prepared = await pool.prepare_body(
                    body,
                    runtime.clock.now(),
                    local=runtime.payload_filter,
                    split=pool.batches_in_flight == 1,
                )
                if prepared:
                    outcomes, recorded = await run_in_threadpool(
                        record_with_retry, runtime, prepared
                    )
                    await runtime.work.publish_recorded(recorded)
            finally:
                pool.batches_in_flight -= 1
        if prepared is None:
            items = parse_batch(body, runtime.settings.ingest.max_batch)
            if items:
                outcomes = await _ingest(runtime, items)
        # Built as plain dicts (the documented shape is ``BatchResult``): a 1,000-item answer
        # through pydantic costs more than recording the batch's identities.
        rejected = sum(1 for o in outcomes if o.status >= 400)
        result = {
            "accepted": sum(1 for o in outcomes if o.status == 201),
            "duplicates": sum(1 for o in outcomes if o.duplicate),
            "rejected": rejected,
            "items": [
                {
                    "index": o.index,
                    "status": o.status,
                    "id": o.id,
                    "customer_id": o.customer_id,
                    "duplicate": o.duplicate,
                    "errors": o.errors,
                }
                for o in outcomes
            ],
        }
        return ORJSONResponse(result, status_code=200 if rejected == 0 else 207)

    @router.get(
        "/search/events", response_model=SearchResult, summary="Full-text search over events"
    )
    def search_events(
        session: SessionDep,
        _: Reader,
        q: Annotated[str, Query(min_length=1, max_length=500)],
        customer_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> SearchResult:
        ids = None
        if customer_id:
            root = customers_service.get_root(session, customer_id)
            ids = customers_repo.group_ids(session, root.id)
        rows = repo.search_events(session, q, customer_ids=ids, limit=limit)
        events = customers_service.events_out(session, rows, {})
        return SearchResult(items=[SearchHit(event=e, customer_id=e.customer_id) for e in events])

    return router

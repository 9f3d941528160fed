"""Customers: search, profile, the story, and admin unmerge."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from onestory.app_state import Runtime
from onestory.auth.service import Principal, actor_of
from onestory.customers import service
from onestory.customers.schemas import CustomerList, Profile, StoryPage
from onestory.deps import RuntimeDep, SessionDep, require
from onestory.kit.inputs import Since, Until
from onestory.pipeline.uow import UnitOfWork

router = APIRouter(tags=["customers"])

Reader = Annotated[Principal, Depends(require("customers:read"))]
Writer = Annotated[Principal, Depends(require("customers:write"))]


@router.get(
    "/customers", response_model=CustomerList, summary="Find customers by any identifier or name"
)
def list_customers(
    session: SessionDep,
    _: Reader,
    q: Annotated[str, Query(min_length=1, max_length=320)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CustomerList:
    return CustomerList(items=service.find(session, q, limit=limit))


@router.get("/customers/{customer_id}", response_model=Profile, summary="A customer's profile")
def get_customer(customer_id: str, session: SessionDep, _: Reader) -> Profile:
    return service.profile(session, service.get_root(session, customer_id))


@router.get(
    "/customers/{customer_id}/story",
    # The schema in OpenAPI; the body is built by the service and serialised by orjson
    # (returning a Response skips FastAPI's validation pass over 50 events and their insights).
    response_model=StoryPage,
    summary="The customer's timeline across every channel and system, newest first",
)
def get_story(
    request: Request,
    customer_id: str,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    type: Annotated[
        list[str] | None, Query(description="Event types; 'payment.*' for a family")
    ] = None,
    channel: Annotated[list[str] | None, Query()] = None,
    since: Since = None,
    until: Until = None,
) -> Response:
    # A read unit of work in this (thread-pool) thread rather than SessionDep: a sync
    # generator dependency costs two extra thread-pool hand-offs per request on the hottest
    # read. It records nothing, so there is nothing to publish.
    runtime: Runtime = request.app.state.runtime
    doc, _uow = runtime.work.run_sync(
        lambda uow: service.story(
            uow.session,
            customer_id,
            limit=limit,
            cursor=cursor,
            types=type,
            channels=channel,
            since=since,
            until=until,
        ),
        write=False,
    )
    try:
        body = orjson.dumps(doc, option=orjson.OPT_UTC_Z)
    except orjson.JSONEncodeError:
        # What orjson refuses (an integer beyond 64 bits in a payload) pydantic still writes.
        body = StoryPage.model_validate(doc).model_dump_json().encode()
    return Response(body, media_type="application/json")


@router.post(
    "/customers/merges/{merge_id}/unmerge",
    summary="Undo a merge, restoring both customers' stories (admin)",
)
async def unmerge(merge_id: str, runtime: RuntimeDep, principal: Writer) -> dict[str, str]:
    def work(uow: UnitOfWork) -> None:
        uow.adopt(
            service.unmerge(uow.session, merge_id, actor=actor_of(principal).id, clock=uow.clock)
        )

    await runtime.work.run(work)
    return {"status": "unmerged", "merge_id": merge_id}

"""HTTP API of queue membership (mounted under /v1). See docs/ui.md, "Queues"."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from onestory.auth.service import Principal, actor_of
from onestory.deps import RuntimeDep, SessionDep, require
from onestory.pipeline.uow import UnitOfWork
from onestory.users import queues
from onestory.users.queues import Membership

router = APIRouter(tags=["queues"])

Reader = Annotated[Principal, Depends(require("conversations:read"))]
Manager = Annotated[Principal, Depends(require("queues:write"))]
QueueName = Annotated[str, Path(min_length=1, max_length=100)]
Username = Annotated[str, Path(min_length=1, max_length=200)]


class MemberOut(BaseModel):
    queue: str
    username: str
    display_name: str
    role: str
    disabled: bool
    added_at: datetime
    added_by: str


class MembersOut(BaseModel):
    items: list[MemberOut]


class MyQueuesOut(BaseModel):
    username: str
    queues: list[str]


class AddedOut(MemberOut):
    created: bool


def _out(m: Membership) -> MemberOut:
    return MemberOut(
        queue=m.queue,
        username=m.username,
        display_name=m.display_name,
        role=m.role,
        disabled=m.disabled,
        added_at=m.added_at,
        added_by=m.added_by,
    )


@router.get("/queues/members", summary="Who works which queue")
def list_members(
    session: SessionDep,
    _: Reader,
    queue: Annotated[str | None, Query(max_length=100)] = None,
    username: Annotated[str | None, Query(max_length=200)] = None,
) -> MembersOut:
    rows = queues.memberships(session, queue=queue, username=username)
    return MembersOut(items=[_out(m) for m in rows])


@router.get("/me/queues", summary="The queues of the signed-in user")
def my_queues(session: SessionDep, who: Reader) -> MyQueuesOut:
    return MyQueuesOut(username=who.name, queues=queues.queues_of(session, who.id))


@router.put(
    "/queues/{queue}/members/{username}",
    summary="Add a user to a queue (supervisor, admin); adding twice changes nothing",
)
async def add_member(
    queue: QueueName, username: Username, runtime: RuntimeDep, who: Manager
) -> AddedOut:
    def work(uow: UnitOfWork) -> AddedOut:
        row, created = queues.add_member(
            uow.session, username, queue, by=actor_of(who).id, clock=uow.clock
        )
        [m] = queues.memberships(uow.session, queue=row.queue, username=username)
        return AddedOut(**_out(m).model_dump(), created=created)

    return await runtime.work.run(work)


@router.delete(
    "/queues/{queue}/members/{username}",
    status_code=204,
    summary="Remove a user from a queue (supervisor, admin)",
)
async def remove_member(
    queue: QueueName, username: Username, runtime: RuntimeDep, _: Manager
) -> Response:
    await runtime.work.run(lambda uow: queues.remove_member(uow.session, username, queue))
    return Response(status_code=204)

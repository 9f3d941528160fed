"""HTTP API of the conversations domain (mounted under /v1). See docs/channels.md."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from onestory.auth.service import ActorClaim, AuthorKind, Principal, actor_of
from onestory.conversations import flows, service
from onestory.conversations import repository as repo
from onestory.conversations.models import Conversation
from onestory.conversations.views import (
    conversation_view,
    live_channels,
    message_row_view,
)
from onestory.deps import RuntimeDep, SessionDep, require
from onestory.kit.http import ORJSONResponse
from onestory.kit.inputs import MAX_SECONDS, Offset
from onestory.live import messages
from onestory.live.hub import conversation_channel
from onestory.users import queues

router = APIRouter(tags=["conversations"])

Reader = Annotated[Principal, Depends(require("conversations:read"))]
Writer = Annotated[Principal, Depends(require("conversations:write"))]


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=50_000)
    channel: str | None = Field(
        default=None, max_length=40, description="Omit for the customer's current channel"
    )
    subject: str | None = Field(default=None, max_length=1000)
    author: AuthorKind | None = Field(
        default=None,
        description="Who the calling key relays (a signed-in user is always an agent)",
    )
    author_id: ActorClaim = None


class AssignIn(BaseModel):
    assignee: str | None = Field(default=None, max_length=200, description='"" unassigns')
    queue: str | None = Field(default=None, max_length=100)
    priority: str | None = Field(default=None, max_length=20)


class TransferIn(BaseModel):
    to_assignee: str | None = Field(default=None, max_length=200)
    to_queue: str | None = Field(default=None, max_length=100)
    reason: str = Field(min_length=1, max_length=1000)
    note: str | None = Field(default=None, max_length=5000)
    author: Literal["agent", "ai"] | None = Field(
        default=None, description='"ai": the calling key hands over from an AI assistant'
    )
    by: ActorClaim = None


class ResolveIn(BaseModel):
    reason: str | None = Field(default=None, max_length=1000)


class StatusIn(BaseModel):
    status: str = Field(max_length=30)


class TypingIn(BaseModel):
    typing: bool = True
    who: Literal["agent", "ai"] | None = None
    name: ActorClaim = None


@router.get(
    "/conversations", summary="List and filter conversations", response_class=ORJSONResponse
)
def list_conversations(
    session: SessionDep,
    runtime: RuntimeDep,
    who: Reader,
    status: Annotated[
        str | None, Query(description="open, waiting_on_customer, waiting_on_us, resolved, active")
    ] = None,
    queue: str | None = None,
    in_my_queues: Annotated[
        bool, Query(description="only the queues the signed-in user is a member of")
    ] = False,
    assignee: Annotated[str | None, Query(description='"none" for unassigned')] = None,
    channel: str | None = None,
    customer_id: str | None = None,
    waiting_longer_than: Annotated[
        int | None,
        Query(ge=0, le=MAX_SECONDS, description="seconds the customer has waited on us"),
    ] = None,
    sort: Literal["recent", "waiting"] = "recent",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> Response:
    now = runtime.clock.now()
    # A user's queues; an API key is no member of any, so it sees none of them.
    mine = queues.queues_of(session, who.id) if in_my_queues else None
    q = repo.list_query(
        status=status,
        queue=queue,
        queues=mine,
        assignee=assignee,
        channel=channel,
        customer_id=customer_id,
        waiting_before=(
            now - timedelta(seconds=waiting_longer_than)
            if waiting_longer_than is not None
            else None
        ),
    )
    total = repo.count(session, q)
    if sort == "waiting":
        q = q.order_by(Conversation.waiting_since.asc().nulls_last(), Conversation.id)
    else:
        q = q.order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id)
    rows = session.scalars(q.limit(limit).offset(offset)).all()
    out: dict[str, Any] = {"items": [conversation_view(c, now) for c in rows], "total": total}
    if mine is not None:
        out["my_queues"] = mine
    return ORJSONResponse(out)


Limit = Annotated[int, Query(ge=1, le=2000, description="how many of the newest messages")]
Before = Annotated[
    str | None,
    Query(max_length=200, description="older_cursor of a previous page: messages before it"),
]


@router.get(
    "/conversations/{conversation_id}",
    summary="One conversation with its newest messages",
    response_class=ORJSONResponse,
)
def get_conversation(
    conversation_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    _: Reader,
    limit: Limit = 50,
    before: Before = None,
) -> Response:
    """The conversation, its customer's name and its newest ``limit`` messages (oldest first).
    ``older_cursor`` pages back: ``GET .../messages?before=<older_cursor>``."""
    conv, name = repo.with_customer_name(session, conversation_id)
    out = conversation_view(conv, runtime.clock.now())
    out["customer"] = {"id": conv.customer_id, "display_name": name}
    rows, older = repo.message_page(session, conv.id, limit, before)
    out["messages"] = [message_row_view(r) for r in rows]
    out["older_cursor"] = older
    out["live_channel"] = conversation_channel(conv.id)
    # Already JSON-ready: skip FastAPI's per-value encoding pass over every message.
    return ORJSONResponse(out)


@router.get(
    "/conversations/{conversation_id}/messages",
    summary="A page of a conversation's messages, newest first by page",
    response_class=ORJSONResponse,
)
def list_messages(
    conversation_id: str,
    session: SessionDep,
    _: Reader,
    limit: Limit = 50,
    before: Before = None,
) -> Response:
    """Messages older than ``before`` (oldest first within the page), for scrolling back."""
    conv = service.get(session, conversation_id)
    rows, older = repo.message_page(session, conv.id, limit, before)
    return ORJSONResponse({"items": [message_row_view(r) for r in rows], "older_cursor": older})


@router.post("/conversations/{conversation_id}/reply", status_code=202, summary="Reply")
async def reply(
    conversation_id: str, body: ReplyIn, runtime: RuntimeDep, who: Writer
) -> dict[str, Any]:
    actor = actor_of(who, body.author)
    return await flows.reply(
        runtime,
        conversation_id,
        text=body.text,
        author=actor.kind,
        author_id=actor.id,
        channel=body.channel,
        subject=body.subject,
    )


@router.post("/conversations/{conversation_id}/assign", summary="Assign (agent, queue, priority)")
async def assign(
    conversation_id: str, body: AssignIn, runtime: RuntimeDep, who: Writer
) -> dict[str, Any]:
    now = runtime.clock.now()
    by = actor_of(who).id
    return await flows.apply(
        runtime,
        conversation_id,
        lambda s, c: service.assign(
            s,
            c,
            assignee=queues.assignable(s, body.assignee) if body.assignee else body.assignee,
            queue=body.queue,
            priority=body.priority,
            by=by,
            now=now,
        ),
    )


@router.post("/conversations/{conversation_id}/transfer", summary="Hand off with a context note")
async def transfer(
    conversation_id: str, body: TransferIn, runtime: RuntimeDep, who: Writer
) -> dict[str, Any]:
    now = runtime.clock.now()
    actor = actor_of(who, body.author)
    return await flows.apply(
        runtime,
        conversation_id,
        lambda s, c: service.transfer(
            s,
            c,
            to_assignee=(
                queues.assignable(s, body.to_assignee, field="to_assignee")
                if body.to_assignee
                else None
            ),
            to_queue=body.to_queue,
            reason=body.reason,
            note=body.note,
            by=actor.id,
            now=now,
            from_ai=actor.kind == "ai",
        ),
    )


@router.post("/conversations/{conversation_id}/resolve", summary="Resolve")
async def resolve(
    conversation_id: str, body: ResolveIn, runtime: RuntimeDep, who: Writer
) -> dict[str, Any]:
    now = runtime.clock.now()
    by = actor_of(who).id
    return await flows.apply(
        runtime,
        conversation_id,
        lambda s, c: service.resolve(s, c, by=by, reason=body.reason, now=now),
    )


@router.post("/conversations/{conversation_id}/reopen", summary="Reopen")
async def reopen(conversation_id: str, runtime: RuntimeDep, who: Writer) -> dict[str, Any]:
    now = runtime.clock.now()
    by = actor_of(who).id
    return await flows.apply(
        runtime, conversation_id, lambda s, c: service.reopen(s, c, by=by, now=now)
    )


@router.post("/conversations/{conversation_id}/status", summary="Set the status")
async def set_status(
    conversation_id: str, body: StatusIn, runtime: RuntimeDep, who: Writer
) -> dict[str, Any]:
    now = runtime.clock.now()
    by = actor_of(who).id
    return await flows.apply(
        runtime,
        conversation_id,
        lambda s, c: service.change_status(s, c, status=body.status, by=by, now=now),
    )


@router.post("/conversations/{conversation_id}/typing", status_code=202, summary="Typing")
async def typing(
    conversation_id: str, body: TypingIn, session: SessionDep, runtime: RuntimeDep, who: Writer
) -> dict[str, Any]:
    actor = actor_of(who, body.who, field="who")
    conv = service.get(session, conversation_id)
    channels, message = messages.conversation_typing(
        live_channels(conv), conv.id, who=actor.kind, name=actor.display_name, typing=body.typing
    )
    await runtime.live.publish(channels, message)
    return message

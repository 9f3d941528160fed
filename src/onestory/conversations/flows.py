"""Run a conversation change as one unit of work: transaction, story events, live pushes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from onestory.conversations import service
from onestory.conversations.models import Conversation
from onestory.conversations.projection import Effects
from onestory.conversations.views import conversation_view
from onestory.events.service import Recorded, record

if TYPE_CHECKING:
    from onestory.app_state import Runtime

Change = Callable[[Session, Conversation], Effects]


async def apply(runtime: Runtime, conversation_id: str, change: Change) -> dict[str, Any]:
    """Apply ``change`` to a conversation, record its events, then push them live."""

    def tx() -> tuple[dict[str, Any], Recorded, Effects]:
        with runtime.db.transaction(write=True) as s:
            conv = service.get(s, conversation_id, for_update=not runtime.db.is_sqlite)
            fx = change(s, conv)
            s.flush()
            recorded = record(s, fx.drafts, clock=runtime.clock) if fx.drafts else Recorded()
            view = conversation_view(conv, runtime.clock.now())
        return view, recorded, fx

    view, recorded, fx = await run_in_threadpool(tx)
    await runtime.after_record(recorded)
    for channels, message in fx.live:
        await runtime.live.publish(channels, message)
    return view


async def reply(
    runtime: Runtime,
    conversation_id: str,
    *,
    text: str,
    author: str,
    author_id: str | None,
    channel: str | None,
    subject: str | None,
) -> dict[str, Any]:
    """Queue a reply as a ``message.sent`` event; the pipeline projects and delivers it."""

    def tx() -> tuple[str, Recorded]:
        with runtime.db.transaction(write=True) as s:
            conv = service.get(s, conversation_id)
            draft = service.reply_draft(
                conv,
                text=text,
                author=author,
                author_id=author_id,
                channel=channel,
                subject=subject,
                now=runtime.clock.now(),
            )
            recorded = record(s, [draft], clock=runtime.clock)
        return recorded.rows[0]["id"], recorded

    event_id, recorded = await run_in_threadpool(tx)
    await runtime.after_record(recorded)
    return {"event_id": event_id, "conversation_id": conversation_id, "status": "queued"}

"""Run a conversation change as one unit of work: transaction, story events, live pushes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from onestory.app_state import Runtime
from onestory.conversations import service
from onestory.conversations.models import Conversation
from onestory.conversations.projection import Effects
from onestory.conversations.views import conversation_view
from onestory.pipeline.uow import UnitOfWork

Change = Callable[[Session, Conversation], Effects]


async def apply(runtime: Runtime, conversation_id: str, change: Change) -> dict[str, Any]:
    """Apply ``change`` to a conversation, record its events, then push them live."""

    def tx(uow: UnitOfWork) -> dict[str, Any]:
        conv = service.get(uow.session, conversation_id, for_update=not runtime.db.is_sqlite)
        fx = change(uow.session, conv)
        uow.session.flush()
        uow.record(fx.drafts)
        for push in fx.live:
            uow.push(push)
        return conversation_view(conv, uow.clock.now())

    return await runtime.work.run(tx)


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

    def tx(uow: UnitOfWork) -> str:
        conv = service.get(uow.session, conversation_id)
        draft = service.reply_draft(
            conv,
            text=text,
            author=author,
            author_id=author_id,
            channel=channel,
            subject=subject,
            now=uow.now,
        )
        return str(uow.record([draft]).rows[0]["id"])

    event_id = await runtime.work.run(tx)
    return {"event_id": event_id, "conversation_id": conversation_id, "status": "queued"}

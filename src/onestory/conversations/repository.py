"""SQL for conversations and their messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from onestory.conversations.models import Conversation, ConversationMessage

OPEN_STATUSES = ("open", "waiting_on_customer", "waiting_on_us")


def latest_for_customer(session: Session, customer_id: str) -> Conversation | None:
    return session.scalars(
        select(Conversation)
        .where(Conversation.customer_id == customer_id)
        .order_by(Conversation.opened_at.desc(), Conversation.id.desc())
        .limit(1)
    ).first()


def open_for_customer(session: Session, customer_id: str) -> Conversation | None:
    return session.scalars(
        select(Conversation)
        .where(Conversation.customer_id == customer_id, Conversation.status.in_(OPEN_STATUSES))
        .order_by(Conversation.opened_at.desc())
        .limit(1)
    ).first()


def message_by_event(session: Session, event_ids: Sequence[str]) -> dict[str, ConversationMessage]:
    if not event_ids:
        return {}
    rows = session.scalars(
        select(ConversationMessage).where(ConversationMessage.event_id.in_(list(event_ids)))
    )
    return {m.event_id: m for m in rows}


def by_external_ids(session: Session, external_ids: Sequence[str]) -> list[ConversationMessage]:
    ids = [x for x in external_ids if x][:50]
    if not ids:
        return []
    return list(
        session.scalars(select(ConversationMessage).where(ConversationMessage.external_id.in_(ids)))
    )


def messages_of(session: Session, conversation_id: str, limit: int) -> list[ConversationMessage]:
    """The newest ``limit`` messages of a conversation, oldest first (a long thread keeps its
    latest messages on screen)."""
    newest = list(
        session.scalars(
            select(ConversationMessage)
            .where(ConversationMessage.conversation_id == conversation_id)
            .order_by(ConversationMessage.occurred_at.desc(), ConversationMessage.id.desc())
            .limit(limit)
        )
    )
    newest.reverse()
    return newest


def repoint_customer(session: Session, from_id: str, to_id: str) -> None:
    session.execute(
        update(Conversation).where(Conversation.customer_id == from_id).values(customer_id=to_id)
    )


def list_query(
    *,
    status: str | None,
    queue: str | None,
    assignee: str | None,
    channel: str | None,
    customer_id: str | None,
    waiting_before: datetime | None,
) -> Select[Conversation]:
    q = select(Conversation)
    if status == "active":
        q = q.where(Conversation.status.in_(OPEN_STATUSES))
    elif status:
        q = q.where(Conversation.status == status)
    if queue:
        q = q.where(Conversation.queue == queue)
    if assignee == "none":
        q = q.where(Conversation.assignee.is_(None))
    elif assignee:
        q = q.where(Conversation.assignee == assignee)
    if channel:
        q = q.where(Conversation.channel == channel)
    if customer_id:
        q = q.where(Conversation.customer_id == customer_id)
    if waiting_before is not None:
        q = q.where(Conversation.waiting_since <= waiting_before)
    return q


def count(session: Session, q: Select[Conversation]) -> int:
    return int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)

"""SQL for conversations and their messages."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, and_, func, or_, select, update
from sqlalchemy.orm import Session

from onestory.conversations.models import Conversation, ConversationMessage
from onestory.kit.errors import InvalidInput, NotFound, field_error
from onestory.models import Customer

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


def open_for_customers(session: Session, customer_ids: Sequence[str]) -> list[Conversation]:
    """Every open conversation of these customers (a person and the records merged into them)."""
    return list(
        session.scalars(
            select(Conversation)
            .where(
                Conversation.customer_id.in_(list(customer_ids)),
                Conversation.status.in_(OPEN_STATUSES),
            )
            .order_by(Conversation.opened_at, Conversation.id)
        )
    )


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


M = ConversationMessage
# The columns a message view needs, read as plain rows: a page of messages costs one query
# and no ORM objects (identity map, instance state), which keeps the conversation screen's
# allocations, and so the garbage collector's pauses, small.
MESSAGE_COLUMNS = (
    M.id,
    M.event_id,
    M.conversation_id,
    M.direction,
    M.channel,
    M.author,
    M.author_id,
    M.kind,
    M.text,
    M.subject,
    M.status,
    M.attachments,
    M.external_id,
    M.meta,
    M.occurred_at,
)


def encode_message_cursor(occurred_at: datetime, message_id: int) -> str:
    raw = f"{occurred_at.isoformat()}|{message_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_message_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, ident = raw.rpartition("|")
        at = datetime.fromisoformat(when)
        if at.tzinfo is None:
            raise ValueError("naive time")
        return at, int(ident)
    except ValueError as exc:
        raise InvalidInput(
            "the cursor is not one this API gave out",
            errors=[field_error("before", "malformed cursor; use older_cursor of a page")],
        ) from exc


def message_page(
    session: Session, conversation_id: str, limit: int, before: str | None = None
) -> tuple[list[Row[Any]], str | None]:
    """The newest ``limit`` messages older than the cursor ``before`` (all when None), oldest
    first, and the cursor of the next older page (None when there is nothing older)."""
    q = select(*MESSAGE_COLUMNS).where(M.conversation_id == conversation_id)
    if before:
        at, ident = decode_message_cursor(before)
        q = q.where(or_(M.occurred_at < at, and_(M.occurred_at == at, M.id < ident)))
    rows = list(session.execute(q.order_by(M.occurred_at.desc(), M.id.desc()).limit(limit + 1)))
    older = None
    if len(rows) > limit:
        rows.pop()
        older = encode_message_cursor(rows[-1].occurred_at, rows[-1].id)
    rows.reverse()
    return rows, older


def with_customer_name(session: Session, conversation_id: str) -> tuple[Conversation, str | None]:
    """The conversation and its customer's display name, in one query."""
    row = session.execute(
        select(Conversation, Customer.display_name)
        .outerjoin(Customer, Customer.id == Conversation.customer_id)
        .where(Conversation.id == conversation_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no conversation {conversation_id!r}")
    return row[0], row[1]


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
    queues: Sequence[str] | None = None,
) -> Select[Conversation]:
    """``queues``: only conversations in one of them (an empty list matches nothing)."""
    q = select(Conversation)
    if queues is not None:
        q = q.where(Conversation.queue.in_(list(queues)))
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

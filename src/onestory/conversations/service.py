"""Conversation rules for people acting on a thread: assign, transfer, resolve, reopen, reply.

Functions take the session first and return ``Effects`` (story events to record, live pushes
to make after commit); they never commit. ``flows.py`` runs them in a transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onestory.conversations.models import Conversation
from onestory.conversations.projection import (
    Effects,
    conversation_event,
    handoff_note,
    set_status,
)
from onestory.events.service import EventDraft
from onestory.kit.errors import Conflict, InvalidInput, NotFound, field_error
from onestory.kit.ids import new_id

STATUSES = ("open", "waiting_on_customer", "waiting_on_us", "resolved")
PRIORITIES = ("low", "normal", "high", "urgent")


def get(session: Session, conversation_id: str, *, for_update: bool = False) -> Conversation:
    conv = session.get(Conversation, conversation_id, with_for_update=for_update or None)
    if conv is None:
        raise NotFound(f"no conversation {conversation_id!r}")
    return conv


def _key() -> str:
    return new_id("act")


def assign(
    session: Session,
    conv: Conversation,
    *,
    assignee: str | None,
    queue: str | None,
    priority: str | None,
    by: str,
    now: datetime,
) -> Effects:
    fx = Effects()
    if priority is not None and priority not in PRIORITIES:
        raise InvalidInput(
            "unknown priority", errors=[field_error("priority", f"one of {', '.join(PRIORITIES)}")]
        )
    before = {"assignee": conv.assignee, "queue": conv.queue, "priority": conv.priority}
    if assignee is not None:
        conv.assignee = assignee or None
    if queue is not None:
        conv.queue = queue or None
    if priority is not None:
        conv.priority = priority
    after = {"assignee": conv.assignee, "queue": conv.queue, "priority": conv.priority}
    if before == after:
        return fx
    conv.updated_at = now
    fx.drafts.append(
        conversation_event(
            conv, "conversation.assigned", {"from": before, "to": after, "by": by}, now, _key()
        )
    )
    fx.updated(conv, "assigned", now)
    return fx


def transfer(
    session: Session,
    conv: Conversation,
    *,
    to_assignee: str | None,
    to_queue: str | None,
    reason: str,
    note: str | None,
    by: str,
    now: datetime,
    from_ai: bool = False,
) -> Effects:
    """Agent→agent, team→team or AI→human: the thread stays, a context note goes with it.
    ``from_ai``: the caller relays an AI assistant handing over to people."""
    if not to_assignee and not to_queue:
        raise InvalidInput(
            "say who or which queue takes over",
            errors=[field_error("to_assignee", "give to_assignee or to_queue")],
        )
    if conv.status == "resolved":
        raise Conflict("the conversation is resolved; reopen it before transferring")
    kind = "ai_to_human" if from_ai else ("team" if to_queue else "agent")
    context = handoff_note(
        conv,
        kind=kind,
        who=by,
        why=reason,
        when=now,
        extra={
            "from_assignee": conv.assignee,
            "from_queue": conv.queue,
            "to_assignee": to_assignee,
            "to_queue": to_queue,
            **({"note": note} if note else {}),
        },
    )
    conv.notes = [*(conv.notes or []), context]
    if to_queue:
        conv.queue = to_queue
    conv.assignee = to_assignee or None
    conv.updated_at = now
    fx = Effects()
    fx.drafts.append(conversation_event(conv, "conversation.transferred", context, now, _key()))
    fx.updated(conv, "transferred", now)
    return fx


def resolve(
    session: Session, conv: Conversation, *, by: str, reason: str | None, now: datetime
) -> Effects:
    fx = Effects()
    if conv.status == "resolved":
        return fx
    conv.resolved_at = now
    conv.waiting_since = None
    conv.updated_at = now
    set_status(conv, "resolved", now, fx, _key(), by=by)
    fx.drafts.append(
        conversation_event(conv, "conversation.resolved", {"by": by, "reason": reason}, now, _key())
    )
    fx.updated(conv, "resolved", now)
    return fx


def reopen(session: Session, conv: Conversation, *, by: str, now: datetime) -> Effects:
    fx = Effects()
    if conv.status != "resolved":
        raise Conflict(f"the conversation is {conv.status}, not resolved")
    conv.resolved_at = None
    conv.updated_at = now
    set_status(conv, "open", now, fx, _key(), by=by)
    fx.drafts.append(conversation_event(conv, "conversation.reopened", {"by": by}, now, _key()))
    fx.updated(conv, "reopened", now)
    return fx


def change_status(
    session: Session, conv: Conversation, *, status: str, by: str, now: datetime
) -> Effects:
    if status not in STATUSES:
        raise InvalidInput(
            "unknown status", errors=[field_error("status", f"one of {', '.join(STATUSES)}")]
        )
    if status == "resolved":
        return resolve(session, conv, by=by, reason=None, now=now)
    if conv.status == "resolved":
        return reopen(session, conv, by=by, now=now)
    fx = Effects()
    set_status(conv, status, now, fx, _key(), by=by)
    if status == "waiting_on_us" and conv.waiting_since is None:
        conv.waiting_since = now
    elif status != "waiting_on_us":
        conv.waiting_since = None
    conv.updated_at = now
    fx.updated(conv, "status", now)
    return fx


def reply_draft(
    conv: Conversation,
    *,
    text: str,
    author: str,
    author_id: str | None,
    channel: str | None,
    subject: str | None,
    now: datetime,
    key: str | None = None,
) -> EventDraft:
    """A ``message.sent`` in status "queued": the channels layer delivers it."""
    if not text.strip():
        raise InvalidInput("the reply is empty", errors=[field_error("text", "empty")])
    if author not in ("agent", "ai", "system"):
        raise InvalidInput("unknown author", errors=[field_error("author", "agent, ai or system")])
    payload: dict[str, Any] = {
        "text": text,
        "author": author,
        "status": "queued",
        "conversation_id": conv.id,
    }
    if author_id:
        payload["author_id"] = author_id
    if subject:
        payload["subject"] = subject
    return EventDraft(
        type="message.sent",
        customer_id=conv.customer_id,
        payload=payload,
        occurred_at=now,
        channel=channel,
        source="onestory",
        idempotency_key=key or new_id("rpl"),
    )

"""JSON shapes of conversations and messages (API responses and live messages alike)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row

from onestory.conversations.models import Conversation, ConversationMessage
from onestory.live.hub import CONVERSATIONS, conversation_channel, customer_channel

# Every conversation change is also published here (queue views, supervisors).
# Hand-off notes shown with a conversation (newest last). A long thread switching channels
# collects hundreds; every view (inbox rows, live updates) carried them all.
NOTES_SHOWN = 20


def live_channels(conv: Conversation) -> list[str]:
    return [customer_channel(conv.customer_id), conversation_channel(conv.id), CONVERSATIONS]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def conversation_view(conv: Conversation, now: datetime | None = None) -> dict[str, Any]:
    waiting = None
    if conv.waiting_since is not None and now is not None:
        waiting = max(0, int((now - conv.waiting_since).total_seconds()))
    notes = conv.notes or []
    return {
        "id": conv.id,
        "customer_id": conv.customer_id,
        "status": conv.status,
        "channel": conv.channel,
        "channels": list(conv.channels or []),
        "subject": conv.subject,
        "assignee": conv.assignee,
        "queue": conv.queue,
        "priority": conv.priority,
        "opened_at": _iso(conv.opened_at),
        "first_response_at": _iso(conv.first_response_at),
        "resolved_at": _iso(conv.resolved_at),
        "last_message_at": _iso(conv.last_message_at),
        "waiting_since": _iso(conv.waiting_since),
        "waiting_seconds": waiting,
        "first_response_seconds": _secs(conv.opened_at, conv.first_response_at),
        "resolution_seconds": _secs(conv.opened_at, conv.resolved_at),
        "message_count": conv.message_count,
        "facts": dict(conv.facts or {}),
        "notes": list(notes[-NOTES_SHOWN:]),
        "notes_total": len(notes),
    }


def _secs(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, int((end - start).total_seconds()))


def message_view(msg: ConversationMessage) -> dict[str, Any]:
    return {
        "event_id": msg.event_id,
        "conversation_id": msg.conversation_id,
        "direction": msg.direction,
        "channel": msg.channel,
        "author": msg.author,
        "author_id": msg.author_id,
        "kind": msg.kind,
        "text": msg.text,
        "subject": msg.subject,
        "status": msg.status,
        "attachments": list(msg.attachments or []),
        "external_id": msg.external_id,
        "meta": dict(msg.meta or {}),
        "occurred_at": msg.occurred_at.isoformat(),
    }


def message_row_view(row: Row[Any]) -> dict[str, Any]:
    """``message_view`` of a row read with ``repository.MESSAGE_COLUMNS`` (same shape)."""
    return {
        "event_id": row.event_id,
        "conversation_id": row.conversation_id,
        "direction": row.direction,
        "channel": row.channel,
        "author": row.author,
        "author_id": row.author_id,
        "kind": row.kind,
        "text": row.text,
        "subject": row.subject,
        "status": row.status,
        "attachments": row.attachments or [],
        "external_id": row.external_id,
        "meta": row.meta or {},
        "occurred_at": row.occurred_at.isoformat(),
    }

"""Conversation tables: one thread per customer across channels, its messages, and the
channels outbox (queued outbound messages and what became of them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from onestory.db.base import Base, JSONType, UTCDateTime
from onestory.db.private import PrivateJSON, PrivateText


class Conversation(Base):
    """One continuous thread with a customer, whatever the channel."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_customer_status", "customer_id", "status"),
        Index("ix_conversations_status_waiting", "status", "waiting_since"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40))
    # open | waiting_on_customer | waiting_on_us | resolved
    status: Mapped[str] = mapped_column(String(30))
    # The channel of the customer's latest inbound message: where replies go by default.
    channel: Mapped[str | None] = mapped_column(String(40))
    channels: Mapped[list[str]] = mapped_column(JSONType, default=list)
    subject: Mapped[str | None] = mapped_column(PrivateText(1000))
    assignee: Mapped[str | None] = mapped_column(String(200), index=True)
    queue: Mapped[str | None] = mapped_column(String(100), index=True)
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Since when the customer has been waiting on us (None when nobody is waiting).
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    # What the customer already told us (order number, address, problem, ...).
    facts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Hand-off context notes, newest last.
    notes: Mapped[list[dict[str, Any]]] = mapped_column(PrivateJSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConversationMessage(Base):
    """A message (or call segment) of a conversation; one row per story event."""

    __tablename__ = "conversation_messages"
    __table_args__ = (
        Index("ix_conversation_messages_conv_time", "conversation_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    direction: Mapped[str] = mapped_column(String(10))  # inbound | outbound | internal
    channel: Mapped[str | None] = mapped_column(String(40))
    author: Mapped[str] = mapped_column(String(20))  # customer | agent | ai | system
    author_id: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="message")  # message | call
    text: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str | None] = mapped_column(String(20))
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # Provider id (email Message-ID, Twilio SID, call id): threading and delivery reports.
    external_id: Mapped[str | None] = mapped_column(String(500), index=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxItem(Base):
    """An outbound message to deliver. ``pending`` → ``sending`` → ``sent`` | ``failed``.

    Claimed (``sending``) in its own transaction before the provider is called, so a crash
    mid-send never sends twice: a stale ``sending`` row is failed as "outcome unknown".
    """

    __tablename__ = "channel_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[str] = mapped_column(String(40))
    conversation_id: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_id: Mapped[str | None] = mapped_column(String(500))
    last_error: Mapped[str | None] = mapped_column(PrivateText())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

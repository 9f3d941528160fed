"""The append-only event store, the pipeline's durable progress and AI insights."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from onestory.db.base import Base, JSONType, UTCDateTime
from onestory.db.private import PrivateText

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    """An immutable fact on a customer's timeline."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("source", "idempotency_key"),
        Index("ix_events_customer_time", "customer_id", "occurred_at", "seq"),
        Index("ix_events_type_time", "type", "occurred_at"),
        Index("ix_events_customer_channel", "customer_id", "channel"),
    )

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str | None] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The customer the event was attributed to when recorded. Merges do not rewrite it: reads
    # follow ``customers.merged_into``, which is what makes a merge reversible.
    customer_id: Mapped[str | None] = mapped_column(String(40), ForeignKey("customers.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    identifiers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Searchable text pulled from the payload (message bodies, comments, transcripts).
    text: Mapped[str | None] = mapped_column(Text)


class PipelineJob(Base):
    """Durable pipeline progress: one row per recorded event until every stage has run.

    Written in the same transaction as the event; each stage advances ``stage`` in the same
    transaction as its own effects, so a killed process resumes exactly where it stopped.
    """

    __tablename__ = "pipeline_jobs"

    event_seq: Mapped[int] = mapped_column(SeqType, ForeignKey("events.seq"), primary_key=True)
    stage: Mapped[int] = mapped_column(Integer, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(PrivateText())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Insight(Base):
    """What AI derived from an event, with the model that derived it."""

    __tablename__ = "insights"
    __table_args__ = (UniqueConstraint("event_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(40), ForeignKey("events.id"), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    value: Mapped[Any] = mapped_column(JSONType)
    confidence: Mapped[float | None] = mapped_column(Float)
    explanation: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(100))
    model_version: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

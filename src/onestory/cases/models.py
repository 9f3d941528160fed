"""Cases, tasks and promises: the problem being solved, the work for teams, the commitments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from onestory.db.base import Base, JSONType, UTCDateTime
from onestory.db.private import PrivateJSON, PrivateText


class Case(Base):
    """A problem being solved for a customer. Conversations and events are linked by id (they
    belong to other domains, so there is no foreign key)."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_customer_status", "customer_id", "status"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(PrivateText(300))
    description: Mapped[str | None] = mapped_column(PrivateText())
    status: Mapped[str] = mapped_column(String(20))  # open | pending | resolved | closed
    priority: Mapped[str] = mapped_column(String(20))  # low | normal | high | urgent
    team: Mapped[str | None] = mapped_column(String(100))
    # What the case was opened from: "conversation", "event", "signal" or "manual".
    origin: Mapped[str] = mapped_column(String(20))
    origin_id: Mapped[str | None] = mapped_column(String(60), unique=True)
    conversation_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    event_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Task(Base):
    """Work for a team: a field visit with a window and a technician, a back-office refund, a
    replacement shipment. ``external_id`` is the id in the field-service/back-office system."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_assignee_status", "assignee", "status"),
        Index("ix_tasks_team_status", "team", "status"),
        Index("ix_tasks_customer", "customer_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str | None] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # visit | refund | replacement | callback | other
    title: Mapped[str] = mapped_column(PrivateText(300))
    team: Mapped[str | None] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(200))
    # open | scheduled | en_route | in_progress | done | failed | cancelled
    status: Mapped[str] = mapped_column(String(20))
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    details: Mapped[dict[str, Any]] = mapped_column(PrivateJSON, default=dict)
    history: Mapped[list[dict[str, Any]]] = mapped_column(PrivateJSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Promise(Base):
    """A commitment made to the customer: what, by whom, due by; open until kept or broken."""

    __tablename__ = "promises"
    __table_args__ = (
        Index("ix_promises_status_due", "status", "due_by"),
        Index("ix_promises_customer", "customer_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str | None] = mapped_column(String(40))
    task_id: Mapped[str | None] = mapped_column(String(40), index=True)
    what: Mapped[str] = mapped_column(PrivateText(500))
    who: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # refund | callback | visit | shipment | other
    due_by: Mapped[datetime] = mapped_column(UTCDateTime)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))  # open | kept | broken | cancelled
    # "api" or "ai"; AI promises keep the message event and quote they came from.
    origin: Mapped[str] = mapped_column(String(10))
    # Makes AI extraction idempotent: "<event id>:<index>".
    origin_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    source_event_id: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(PrivateText())
    confidence: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[dict[str, Any]] = mapped_column(PrivateJSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

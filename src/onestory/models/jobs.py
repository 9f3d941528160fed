"""Background jobs that outlive their request (model retraining): their state, durably."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from onestory.db.base import Base, JSONType, UTCDateTime


class Job(Base):
    """One requested job: ``queued`` → ``running`` → ``succeeded`` | ``failed``."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_kind_status", "kind", "status"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # e.g. "ai.intent_retrain"
    kind: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20))
    # The actor who asked for it (a username or key:<name>).
    requested_by: Mapped[str] = mapped_column(String(200))
    # The process that runs it ("<host>:<pid>"), so a restart fails only its own leftovers.
    runner: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What a succeeded job produced (for a retrain: the new version and its counts).
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Why a failed job failed, in words a person can act on.
    error: Mapped[str | None] = mapped_column(Text)

"""Proactive signals: detections with evidence, read by every screen that tells the story
(the case summary, the dashboard), written by the proactive domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from onestory.db.base import Base, UTCDateTime
from onestory.db.private import PrivateJSON


class Signal(Base):
    """A detection with evidence. ``occurrence_key`` makes it happen once per occurrence."""

    __tablename__ = "signals"
    __table_args__ = (Index("ix_signals_customer_time", "customer_id", "detected_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))  # low | medium | high
    occurrence_key: Mapped[str] = mapped_column(String(200), unique=True)
    source_event_id: Mapped[str] = mapped_column(String(40), index=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(PrivateJSON, default=dict)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

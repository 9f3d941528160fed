"""Playbooks and proactive actions. Signals are a core table (:mod:`onestory.models.signals`);
consents and contact preferences live in :mod:`onestory.privacy.models`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from onestory.db.base import Base, JSONType, UTCDateTime
from onestory.db.private import PrivateJSON


class Playbook(Base):
    """A playbook as stored: the YAML text (what people edit and version) and its parsed spec."""

    __tablename__ = "playbooks"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(Text)
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # "file" when loaded from the shipped YAML, "api" once changed through the API.
    origin: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProactiveAction(Base):
    """One action a playbook took (or would have taken, or was stopped from taking)."""

    __tablename__ = "proactive_actions"
    __table_args__ = (Index("ix_proactive_actions_customer_time", "customer_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # "<trigger>:<playbook>:<action index>": one action per signal occurrence.
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    customer_id: Mapped[str] = mapped_column(String(40))
    playbook: Mapped[str] = mapped_column(String(100))
    playbook_version: Mapped[int] = mapped_column(Integer)
    signal_id: Mapped[str | None] = mapped_column(String(40), index=True)
    signal_kind: Mapped[str | None] = mapped_column(String(40))
    trigger_event_id: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(30))
    # done | dry_run | suppressed
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(40))
    result_event_id: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(PrivateJSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

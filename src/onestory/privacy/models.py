"""Consents and contact preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from onestory.db.base import Base, UTCDateTime


class Consent(Base):
    """Consent per purpose (service, proactive, marketing) and channel (or "*" for all)."""

    __tablename__ = "consents"

    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20), primary_key=True)
    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactPreference(Base):
    """How a customer likes to be reached."""

    __tablename__ = "contact_preferences"

    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    preferred_channel: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str | None] = mapped_column(String(60))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

"""Customers, their identities and the audited merges between them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from onestory.db.base import Base, JSONType, UTCDateTime
from onestory.db.private import PrivateJSON


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    traits: Mapped[dict[str, Any]] = mapped_column(PrivateJSON, default=dict)
    # Set when this customer was merged into another; reads follow it to the survivor.
    merged_into: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("customers.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Identity(Base):
    """One identifier of a customer. ``key`` is ``kind:normalised value`` and is unique."""

    __tablename__ = "identities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(360))
    strong: Mapped[bool] = mapped_column(default=True)
    customer_id: Mapped[str] = mapped_column(String(40), ForeignKey("customers.id"), index=True)
    first_event_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CustomerMerge(Base):
    """An audited merge: ``merged_id`` was folded into ``survivor_id`` because of ``evidence``."""

    __tablename__ = "customer_merges"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    survivor_id: Mapped[str] = mapped_column(String(40), ForeignKey("customers.id"), index=True)
    merged_id: Mapped[str] = mapped_column(String(40), ForeignKey("customers.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # Identity keys that belonged to the merged customer: unmerge hands them back.
    moved_identities: Mapped[list[str]] = mapped_column(JSONType)
    trigger_event_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reverted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reverted_by: Mapped[str | None] = mapped_column(String(200))


Index("ix_customers_display_name", Customer.display_name)

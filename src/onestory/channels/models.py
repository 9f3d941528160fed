"""Tables of the chat widget: identity claims awaiting proof, and the origins allowed to
embed the widget (changed through the admin API, without a restart)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from onestory.db.base import Base, UTCDateTime


class WidgetClaim(Base):
    """A visitor's claim to be the owner of an email address.

    Until ``verified_at`` is set the claim grants nothing: the visitor stays on their own
    anonymous customer record. ``code_hash`` holds a keyed hash of the one-time code last sent
    (never the code itself); it is cleared once used or after too many wrong attempts.
    """

    __tablename__ = "widget_claims"
    __table_args__ = (UniqueConstraint("visitor_id", "email"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    visitor_id: Mapped[str] = mapped_column(String(64), index=True)
    email: Mapped[str] = mapped_column(String(320))
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    codes_sent: Mapped[int] = mapped_column(Integer, default=0)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WidgetOrigin(Base):
    """A web origin (``scheme://host[:port]``) allowed to embed the widget."""

    __tablename__ = "widget_origins"

    origin: Mapped[str] = mapped_column(String(300), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    added_by: Mapped[str] = mapped_column(String(200))

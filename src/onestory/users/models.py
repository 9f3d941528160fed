"""Users and their browser sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from onestory.db.base import Base, UTCDateTime


class User(Base):
    """A person who signs in to the web UI."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Lower-cased at creation: sign-in is case-insensitive on the username.
    username: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # agent | technician | backoffice | supervisor | admin
    role: Mapped[str] = mapped_column(String(20))
    # Argon2id encoded hash (parameters and salt included).
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so
    a copy of the database cannot be replayed as a cookie."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Sent back by the page in a header or form field on every unsafe request.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QueueMember(Base):
    """A user's membership of a work queue: the conversations routed to that queue show up
    in the user's "my queues" inbox. Queues are named by the conversations that use them
    (``conversations.queue``); there is no separate queue table to keep in step."""

    __tablename__ = "queue_members"

    user_id: Mapped[str] = mapped_column(String(40), ForeignKey("users.id"), primary_key=True)
    queue: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Who added the member (a username, an API key's name, or "cli").
    added_by: Mapped[str] = mapped_column(String(200))

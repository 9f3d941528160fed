"""Queue membership: which users work which conversation queues.

A conversation sits in one queue (``conversations.queue``: "general" by default, changed by
assignment and transfer). A user's "my queues" inbox lists the conversations of every queue
they are a member of. Services take the session first and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from onestory.kit.clock import Clock
from onestory.kit.errors import InvalidInput, NotFound, field_error
from onestory.users.models import QueueMember, User
from onestory.users.service import ROLE_SCOPES, get_by_username

MAX_QUEUE = 100


@dataclass(frozen=True)
class Membership:
    queue: str
    user_id: str
    username: str
    display_name: str
    role: str
    disabled: bool
    added_at: datetime
    added_by: str


def queue_name(raw: str) -> str:
    """A queue name as conversations store it: trimmed, 1-100 printable characters."""
    name = raw.strip()
    if not name or len(name) > MAX_QUEUE or not name.isprintable():
        raise InvalidInput(
            "the queue name is not usable",
            errors=[field_error("queue", f"1-{MAX_QUEUE} printable characters")],
        )
    return name


def _works_conversations(user: User) -> bool:
    scopes = ROLE_SCOPES.get(user.role, frozenset())
    return "admin" in scopes or "conversations:read" in scopes


def assignable(session: Session, username: str, *, field: str = "assignee") -> str:
    """The username of an enabled user who works conversations, to assign one to; a 422
    naming ``field`` otherwise (an unknown name would leave the conversation with nobody)."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or user.disabled_at is not None:
        raise InvalidInput(
            f"there is no active user named {username!r} to assign to",
            errors=[field_error(field, "not an active user")],
        )
    if not _works_conversations(user):
        raise InvalidInput(
            f"{user.username} is a {user.role} and does not take conversations",
            errors=[field_error(field, "choose an agent, supervisor or admin")],
        )
    return user.username


def add_member(
    session: Session, username: str, queue: str, *, by: str, clock: Clock
) -> tuple[QueueMember, bool]:
    """Make ``username`` a member of ``queue``; (membership, created). Adding twice is fine."""
    name = queue_name(queue)
    user = get_by_username(session, username)
    if not _works_conversations(user):
        raise InvalidInput(
            f"{user.username} is a {user.role} and does not work conversation queues",
            errors=[field_error("username", "choose an agent, supervisor or admin")],
        )
    existing = session.get(QueueMember, (user.id, name))
    if existing is not None:
        return existing, False
    row = QueueMember(user_id=user.id, queue=name, added_at=clock.now(), added_by=by[:200])
    session.add(row)
    session.flush()
    return row, True


def remove_member(session: Session, username: str, queue: str) -> None:
    """End ``username``'s membership of ``queue`` (404 when there is none)."""
    name = queue_name(queue)
    user = get_by_username(session, username)
    gone = session.execute(
        delete(QueueMember).where(QueueMember.user_id == user.id, QueueMember.queue == name)
    )
    if not getattr(gone, "rowcount", 0):
        raise NotFound(f"{user.username} is not a member of the queue {name!r}")


def queues_of(session: Session, user_id: str) -> list[str]:
    """The queues a user works, by name."""
    return list(
        session.scalars(
            select(QueueMember.queue)
            .where(QueueMember.user_id == user_id)
            .order_by(QueueMember.queue)
        )
    )


def memberships(
    session: Session, *, queue: str | None = None, username: str | None = None
) -> list[Membership]:
    """Every membership (optionally of one queue or one user), by queue then username."""
    q = select(QueueMember, User).join(User, User.id == QueueMember.user_id)
    if queue is not None:
        q = q.where(QueueMember.queue == queue_name(queue))
    if username is not None:
        q = q.where(User.id == get_by_username(session, username).id)
    rows = session.execute(q.order_by(QueueMember.queue, User.username))
    return [
        Membership(
            queue=m.queue,
            user_id=u.id,
            username=u.username,
            display_name=u.display_name,
            role=u.role,
            disabled=u.disabled_at is not None,
            added_at=m.added_at,
            added_by=m.added_by,
        )
        for m, u in rows
    ]

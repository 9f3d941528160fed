"""Users and sessions: create, authenticate (argon2id), sign in and out, disable.

Services take the session first and never commit; the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onestory.auth.service import Principal
from onestory.kit.clock import Clock
from onestory.kit.errors import Conflict, InvalidInput, NotFound, field_error
from onestory.kit.ids import new_id
from onestory.users.models import User, UserSession

# What each role may do through the API (the same scopes API keys carry).
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "agent": frozenset(
        {
            "customers:read",
            "conversations:read",
            "conversations:write",
            "cases:read",
            "cases:write",
        }
    ),
    "technician": frozenset({"customers:read", "cases:read", "cases:write"}),
    "backoffice": frozenset({"customers:read", "cases:read", "cases:write"}),
    "supervisor": frozenset(
        {
            "customers:read",
            "conversations:read",
            "conversations:write",
            "cases:read",
            "cases:write",
            "dashboard:read",
            "queues:write",
        }
    ),
    "admin": frozenset({"admin"}),
}
ROLES = tuple(ROLE_SCOPES)
MIN_PASSWORD = 10

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong username takes as long as a
# wrong password and sign-in does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


@dataclass(frozen=True)
class SignedIn:
    """Who is behind a browser session, with the token the page must echo on writes."""

    user_id: str
    username: str
    display_name: str
    role: str
    session_id: str
    csrf_token: str

    @property
    def principal(self) -> Principal:
        return Principal(
            id=self.user_id,
            name=self.username,
            scopes=ROLE_SCOPES.get(self.role, frozenset()),
            kind="user",
            display_name=self.display_name,
        )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    clock: Clock,
    display_name: str | None = None,
) -> User:
    name = username.strip().lower()
    errors = []
    if not name or len(name) > 200 or any(c.isspace() for c in name):
        errors.append(field_error("username", "1-200 characters, no spaces"))
    if role not in ROLE_SCOPES:
        errors.append(field_error("role", f"choose from {', '.join(ROLES)}"))
    if len(password) < MIN_PASSWORD:
        errors.append(field_error("password", f"at least {MIN_PASSWORD} characters"))
    if errors:
        raise InvalidInput("the user cannot be created as given", errors=errors)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(f"a user named {name!r} already exists")
    user = User(
        id=new_id("usr"),
        username=name,
        display_name=(display_name or name).strip()[:200],
        role=role,
        password_hash=_hasher.hash(password),
        created_at=clock.now(),
    )
    session.add(user)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.created_at)))


def get_by_username(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return user


def disable_user(session: Session, username: str, *, clock: Clock) -> User:
    """Disable a user and end every session they have open."""
    user = get_by_username(session, username)
    now = clock.now()
    if user.disabled_at is None:
        user.disabled_at = now
    for s in session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    ):
        s.revoked_at = now
    return user


def verify_password(session: Session, username: str, password: str) -> User | None:
    """The user if the password matches and the user is enabled; else None (same timing)."""
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    try:
        if user is None:
            _hasher.verify(_DUMMY_HASH, password)
            return None
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if user.disabled_at is not None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def start_session(
    session: Session, user: User, *, clock: Clock, lifetime: timedelta
) -> tuple[UserSession, str]:
    """Open a session for ``user``; returns it and the cookie token (shown only now)."""
    now = clock.now()
    token = secrets.token_urlsafe(32)
    row = UserSession(
        id=new_id("ses"),
        user_id=user.id,
        token_hash=_token_hash(token),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + lifetime,
    )
    user.last_login_at = now
    session.add(row)
    return row, token


def resolve_session(session: Session, token: str, *, now: datetime) -> SignedIn | None:
    """Who holds ``token``, or None when it is unknown, expired, revoked or the user disabled."""
    row = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == _token_hash(token))
    ).one_or_none()
    if row is None:
        return None
    ses, user = row
    if ses.revoked_at is not None or ses.expires_at <= now or user.disabled_at is not None:
        return None
    return SignedIn(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        session_id=ses.id,
        csrf_token=ses.csrf_token,
    )


def end_session(session: Session, session_id: str, *, clock: Clock) -> None:
    ses = session.get(UserSession, session_id)
    if ses is not None and ses.revoked_at is None:
        ses.revoked_at = clock.now()


def active_people(session: Session, roles: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(username, display name, role) of the users with one of ``roles``, not disabled."""
    rows = session.execute(
        select(User.username, User.display_name, User.role)
        .where(User.disabled_at.is_(None), User.role.in_(roles))
        .order_by(User.username)
    )
    return [(u, d, r) for u, d, r in rows]


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())

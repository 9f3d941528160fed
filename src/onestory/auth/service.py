"""API keys: created once (the secret is shown only then), stored as SHA-256, with scopes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from onestory.kit.clock import Clock
from onestory.kit.errors import InvalidInput, NotFound, field_error
from onestory.kit.ids import new_id
from onestory.models import ApiKey

SCOPES: dict[str, str] = {
    "events:write": "send events (ingestion, channel webhooks)",
    "customers:read": "read customers, their stories and live updates",
    "customers:write": "change customers (merge, unmerge, traits)",
    "conversations:read": "read conversations",
    "conversations:write": "reply, assign, transfer and resolve conversations",
    "cases:read": "read cases, tasks and promises",
    "cases:write": "create and update cases, tasks and promises",
    "playbooks:write": "manage playbooks",
    "dashboard:read": "read the supervisor dashboard's KPIs",
    "queues:write": "add users to and remove them from conversation queues",
    "admin": "everything, including key management",
}

KEY_PREFIX = "os_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key (or, later, a signed-in user) and what it may do."""

    id: str
    name: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    session: Session, name: str, scopes: list[str], *, clock: Clock
) -> tuple[ApiKey, str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise InvalidInput(
            f"unknown scopes: {', '.join(unknown)}",
            errors=[field_error("scopes", f"choose from {', '.join(SCOPES)}")],
        )
    if not scopes:
        raise InvalidInput(
            "a key needs at least one scope", errors=[field_error("scopes", "empty")]
        )
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=new_id("key"),
        name=name,
        prefix=secret[:10],
        hashed=_hash(secret),
        scopes=sorted(set(scopes)),
        created_at=clock.now(),
    )
    session.add(key)
    return key, secret


def authenticate(session: Session, secret: str) -> Principal | None:
    key = session.scalar(select(ApiKey).where(ApiKey.hashed == _hash(secret)))
    if key is None or key.revoked_at is not None:
        return None
    return Principal(id=key.id, name=key.name, scopes=frozenset(key.scopes))


def revocations(conn: Connection) -> int:
    """How many keys were ever revoked: it only grows (a key is never un-revoked), so a change
    tells every process holding cached principals that one of them may be dead."""
    return int(conn.scalar(select(func.count(ApiKey.revoked_at))) or 0)


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at)))


def revoke_key(session: Session, key_id: str, *, clock: Clock) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"api key {key_id} does not exist")
    key.revoked_at = clock.now()
    return key

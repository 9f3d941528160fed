"""API keys: created once (the secret is shown only then), stored as SHA-256, with scopes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, WithJsonSchema
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
    "ai:manage": "manage the AI models: new intent labels, retraining, rollback",
    "admin": "everything, including key management",
}

KEY_PREFIX = "os_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key or a signed-in user, and what it may do.

    ``name`` is the caller's identity wherever an action is recorded (a key's name, a
    user's username); ``kind`` tells the two apart so a key can never pass for a person.
    """

    id: str
    name: str
    scopes: frozenset[str]
    kind: Literal["key", "user"] = "key"
    display_name: str | None = None

    def allows(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes


AuthorKind = Literal["agent", "ai", "system"]


@dataclass(frozen=True)
class Actor:
    """Who an action is recorded as: always the authenticated principal, never the body."""

    id: str
    kind: AuthorKind
    display_name: str


def _refuse_actor(value: str | None) -> None:
    if value is not None:
        raise ValueError("not accepted: actions are recorded as the authenticated caller")


# A body field that would name someone else as the actor (``author_id``, ``by``, ...). It is
# refused with a 422 naming the field rather than silently ignored, so an integration learns
# that the claim is not honoured; the actor always comes from ``actor_of``. Declare it as
# ``author_id: ActorClaim = None``.
ActorClaim = Annotated[
    str | None,
    AfterValidator(_refuse_actor),
    # The document says what is accepted: nothing (so API fuzzers send none).
    WithJsonSchema(
        {
            "type": "null",
            "deprecated": True,
            "description": "Refused: the actor is the authenticated caller (API key or user)",
        }
    ),
]


KEY_ACTOR_PREFIX = "key:"


def actor_of(
    principal: Principal, kind: AuthorKind | None = None, *, field: str = "author"
) -> Actor:
    """The actor for ``principal``, the one way every endpoint names who acted.

    A signed-in person is always an ``agent`` under their username. A key (a machine) may
    say it relays an ``ai`` assistant or the ``system``, but acts as ``key:<its name>``, so
    no key can pass for a person whatever it is called. ``field`` names the body field
    ``kind`` came from, for the 422 when a person claims to be a machine.
    """
    if principal.kind == "user":
        if kind not in (None, "agent"):
            raise InvalidInput(
                f"a signed-in user acts as an agent, not as {kind!r}",
                errors=[field_error(field, "must be 'agent' (or omitted) for a signed-in user")],
            )
        return Actor(principal.name, "agent", principal.display_name or principal.name)
    return Actor(KEY_ACTOR_PREFIX + principal.name, kind or "agent", principal.name)


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

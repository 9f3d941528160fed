"""Web chat widget: visitor sessions, host-signed user ids, and the visitor's envelopes.

A host site that knows its user signs the user id: ``user_hash = hex(HMAC-SHA256(widget_secret,
user_id))``, or the email: ``email_hash = hex(HMAC-SHA256(widget_secret, "email:" + email))``.
Anonymous visitors are known by a random visitor id (a weak identifier, never merged). An email
a visitor types is only a *claim*: it never joins them to the customer who owns that address
(whose story they would then read) until it is proven, by the host's signature or by a
one-time code sent to the address (see ``verification``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from onestory.kit.clock import Clock
from onestory.kit.errors import Forbidden, InvalidInput, Unauthorized, field_error
from onestory.kit.jsonutil import dumpb, loads


def user_hash(widget_secret: str, user_id: str) -> str:
    """The signature a host site computes for its user id."""
    return hmac.new(widget_secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def email_hash(widget_secret: str, email: str) -> str:
    """The signature a host site computes for its user's email (lower-cased, trimmed)."""
    return user_hash(widget_secret, "email:" + email.strip().lower())


def verify_email_signature(widget_secret: str, email: str, given: str) -> None:
    """A host-signed email: proof, like a signed user id."""
    if not widget_secret:
        raise Forbidden("signed emails are not enabled (set ONESTORY_CHANNELS__WIDGET_SECRET)")
    if not hmac.compare_digest(email_hash(widget_secret, email), given.lower()):
        raise Forbidden(
            "the email_hash does not match the email",
            errors=[field_error("email_hash", "HMAC-SHA256(widget_secret, 'email:' + email), hex")],
        )


def verify_user(widget_secret: str, user_id: str, given: str | None) -> None:
    if not widget_secret:
        raise Forbidden("signed user ids are not enabled (set ONESTORY_CHANNELS__WIDGET_SECRET)")
    if not given or not hmac.compare_digest(user_hash(widget_secret, user_id), given.lower()):
        raise Forbidden(
            "the user_hash does not match the user_id",
            errors=[field_error("user_hash", "HMAC-SHA256(widget_secret, user_id), hex")],
        )


@dataclass(frozen=True)
class Visitor:
    """What a widget token says about its holder.

    ``user_id`` and ``email`` are proven (host-signed or verified by a code); only they reach
    identity resolution. ``claimed_email`` is what the visitor typed: shown to agents as
    unverified, never used to find or join a customer.
    """

    visitor_id: str
    user_id: str | None = None
    email: str | None = None
    name: str | None = None
    claimed_email: str | None = None

    @property
    def verified(self) -> bool:
        return bool(self.user_id or self.email)

    def identifiers(self) -> dict[str, Any]:
        """The identifiers sent to ingest: the visitor's own cookie and proven identities."""
        ids: dict[str, Any] = {"cookie_id": f"widget:{self.visitor_id}"}
        if self.user_id:
            ids["external_ids"] = {"web": self.user_id}
        if self.email:
            ids["email"] = self.email
        if self.name:
            ids["name"] = self.name
        return ids


class Tokens:
    """Signed, expiring visitor tokens (``v2.<payload>.<signature>``).

    v1 tokens carried an unproven email as an identity; they are refused, so a visitor holding
    one starts a new session (the widget does this on its own)."""

    def __init__(self, key: bytes, hours: int, clock: Clock) -> None:
        self._key = hmac.new(key, b"widget-token", hashlib.sha256).digest()
        self._ttl = hours * 3600
        self._clock = clock

    def _sign(self, body: bytes) -> str:
        mac = hmac.new(self._key, body, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def issue(self, v: Visitor) -> str:
        data = {"v": v.visitor_id, "u": v.user_id, "e": v.email, "n": v.name}
        data["c"] = v.claimed_email
        data["x"] = int(self._clock.now().timestamp()) + self._ttl  # type: ignore[assignment]
        body = base64.urlsafe_b64encode(dumpb(data)).decode().rstrip("=")
        return f"v2.{body}.{self._sign(body.encode())}"

    def read(self, token: str | None) -> Visitor:
        if not token:
            raise Unauthorized("send the widget token (from POST /v1/widget/session)")
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != "v2":
            raise Unauthorized("the widget token is malformed")
        if not hmac.compare_digest(self._sign(parts[1].encode()), parts[2]):
            raise Unauthorized("the widget token signature is invalid")
        data = loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        if not isinstance(data, dict) or int(data.get("x", 0)) < self._clock.now().timestamp():
            raise Unauthorized("the widget token has expired; start a new session")
        return Visitor(data["v"], data.get("u"), data.get("e"), data.get("n"), data.get("c"))


def new_visitor_id() -> str:
    return secrets.token_urlsafe(16)


def check_visitor_id(value: str) -> str:
    if not (8 <= len(value) <= 64) or not all(c.isalnum() or c in "-_" for c in value):
        raise InvalidInput(
            "visitor_id must be 8-64 letters, digits, '-' or '_'",
            errors=[field_error("visitor_id", "bad format")],
        )
    return value


def message_envelope(
    v: Visitor, text: str, client_id: str, now: datetime, attachments: list[dict[str, Any]]
) -> dict[str, Any]:
    """A widget message as a ``message.received`` envelope (idempotent per client id)."""
    return {
        "type": "message.received",
        "source": "widget",
        "channel": "chat",
        "occurred_at": now.isoformat(),
        "customer": v.identifiers(),
        "payload": {
            "text": text,
            "author": "customer",
            "message_id": client_id,
            "attachments": attachments,
        },
        "idempotency_key": f"{v.visitor_id}:{client_id}"[:200],
    }

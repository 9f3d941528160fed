"""Proving a widget visitor's email claim with a one-time code sent to that address.

A visitor who types an email gets a claim (``WidgetClaim``), nothing more: their messages stay
on their own anonymous record. ``send_code`` mails a six-digit code to the address through the
email channel's sender; ``verify`` checks it (single use, expires, a few attempts, stored only
as a keyed hash) and then records an ``identity.verified`` event carrying the visitor's cookie
and the now-proven email, which folds the anonymous record into the customer who owns the
address (see the resolver), so their history appears.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onestory.app_state import Runtime
from onestory.channels.base import OutboundMessage
from onestory.channels.inbound import raise_for
from onestory.channels.models import WidgetClaim
from onestory.channels.outbox import Outbox
from onestory.channels.widget import Visitor
from onestory.config import Settings, load_secret
from onestory.customers import repository as customers_repo
from onestory.customers.identity import IdentifierError, normalize_email
from onestory.ingest.service import ingest_with_retry
from onestory.kit.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    OneStoryError,
    Unavailable,
    field_error,
)
from onestory.kit.ids import new_id

CODE_DIGITS = 6
COOKIE_PREFIX = "widget:"


def checked_email(raw: str) -> str:
    """The normalised address, or a 422 naming the ``email`` field."""
    try:
        return normalize_email(raw)
    except IdentifierError as exc:
        raise InvalidInput(
            "that email address is not valid", errors=[field_error("email", exc.reason)]
        ) from exc


def code_key(settings: Settings) -> bytes:
    """The key the codes are hashed with, derived from the installation's secret."""
    return hmac.new(load_secret(settings), b"widget-code", hashlib.sha256).digest()


def _hash(key: bytes, claim_id: str, code: str) -> str:
    # Keyed and bound to the claim: a leaked table row cannot be brute-forced offline, and a
    # code is worthless for any other visitor or address.
    return hmac.new(key, f"{claim_id}:{code}".encode(), hashlib.sha256).hexdigest()


# --- service (takes the session; the caller commits) ------------------------------------
def record_claim(session: Session, visitor_id: str, email: str, now: datetime) -> WidgetClaim:
    """The visitor's claim on ``email`` (created once per visitor and address)."""
    claim = session.scalar(
        select(WidgetClaim).where(WidgetClaim.visitor_id == visitor_id, WidgetClaim.email == email)
    )
    if claim is None:
        claim = WidgetClaim(
            id=new_id("wcl"),
            visitor_id=visitor_id,
            email=email,
            attempts=0,
            codes_sent=0,
            created_at=now,
            updated_at=now,
        )
        session.add(claim)
        session.flush()
    return claim


def issue_code(session: Session, claim: WidgetClaim, key: bytes, now: datetime, ttl: int) -> str:
    """A fresh code for the claim; any earlier code stops working."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    claim.code_hash = _hash(key, claim.id, code)
    claim.code_expires_at = now + timedelta(seconds=ttl)
    claim.attempts = 0
    claim.codes_sent += 1
    claim.updated_at = now
    return code


def check_code(
    session: Session,
    visitor_id: str,
    email: str,
    code: str,
    key: bytes,
    now: datetime,
    max_attempts: int,
) -> OneStoryError | None:
    """Use the code once; a wrong one counts an attempt (the last one voids the code).

    Returns the refusal instead of raising it, so the caller still commits the counted
    attempt (raising inside the transaction would roll it back and allow endless guesses)."""
    q = select(WidgetClaim).where(WidgetClaim.visitor_id == visitor_id, WidgetClaim.email == email)
    if session.get_bind().dialect.name != "sqlite":
        # Two tabs submitting the same code at once: one wins, the other sees it used.
        q = q.with_for_update()
    claim = session.scalar(q)
    if claim is None or claim.code_hash is None:
        return Conflict(
            "no code is waiting for this address; ask for one first",
            errors=[field_error("code", "request a code with POST /v1/widget/verify/start")],
        )
    if claim.code_expires_at is None or claim.code_expires_at <= now:
        claim.code_hash = None
        claim.updated_at = now
        return InvalidInput(
            "the code has expired; ask for a new one", errors=[field_error("code", "expired")]
        )
    if not hmac.compare_digest(_hash(key, claim.id, code.strip()), claim.code_hash):
        claim.attempts += 1
        claim.updated_at = now
        left = max_attempts - claim.attempts
        if left <= 0:
            claim.code_hash = None
            return Forbidden(
                "too many wrong codes; ask for a new one",
                errors=[field_error("code", "attempts exhausted")],
            )
        return InvalidInput(
            "that code is not right",
            errors=[field_error("code", f"wrong code; {left} attempt(s) left")],
        )
    claim.code_hash = None
    claim.verified_at = now
    claim.updated_at = now
    return None


def claims_of_customer(session: Session, customer_id: str) -> list[dict[str, Any]]:
    """The email claims made from the widget by this customer's visitors (for agents)."""
    ids = customers_repo.group_ids(session, customer_id)
    visitors = [
        i.value[len(COOKIE_PREFIX) :]
        for i in customers_repo.identities_of(session, ids)
        if i.kind == "cookie" and i.value.startswith(COOKIE_PREFIX)
    ]
    if not visitors:
        return []
    rows = session.scalars(
        select(WidgetClaim)
        .where(WidgetClaim.visitor_id.in_(visitors))
        .order_by(WidgetClaim.created_at, WidgetClaim.id)
    )
    return [
        {
            "email": c.email,
            "verified": c.verified_at is not None,
            "verified_at": c.verified_at,
            "claimed_at": c.created_at,
        }
        for c in rows
    ]


# --- flows (own their transactions) --------------------------------------------------------
def claim(runtime: Runtime, visitor: Visitor, email: str) -> Visitor:
    """Record the claim; the visitor's token then carries it (still unverified)."""
    with runtime.db.transaction(write=True) as s:
        record_claim(s, visitor.visitor_id, email, runtime.clock.now())
    if visitor.email == email:
        return visitor
    return replace(visitor, claimed_email=email)


async def send_code(
    runtime: Runtime, outbox: Outbox, key: bytes, visitor: Visitor, email: str
) -> Visitor:
    """Mail a one-time code to ``email`` (through the outbox's email sender); the returned
    visitor claims it."""
    settings = runtime.settings.channels
    sender = outbox.senders.get("email")
    if sender is None:
        raise Unavailable("email is not configured, so no code can be sent")

    def tx() -> str:
        now = runtime.clock.now()
        with runtime.db.transaction(write=True) as s:
            c = record_claim(s, visitor.visitor_id, email, now)
            return issue_code(s, c, key, now, settings.widget_code_minutes * 60)

    code = await asyncio.to_thread(tx)
    minutes = settings.widget_code_minutes
    message = OutboundMessage(
        event_id=new_id("wvc"),
        customer_id="",
        conversation_id=None,
        channel="email",
        address=email,
        subject="Your verification code",
        text=(
            f"Your verification code is {code}\n\n"
            f"Enter it in the chat window within {minutes} minutes to see your earlier "
            "conversations with us. If you did not ask for it, ignore this email: without the "
            "code nobody can read them.\n"
        ),
    )
    result = await asyncio.to_thread(sender.send, message)
    if not result.ok:
        raise Unavailable(f"the code could not be sent: {result.error or 'unknown error'}")
    return replace(visitor, claimed_email=email)


async def verify(
    runtime: Runtime, key: bytes, visitor: Visitor, code: str
) -> tuple[Visitor, str | None]:
    """Check the code for the visitor's claimed email; on success join them to its owner and
    return the verified visitor and their (root) customer id."""
    email = visitor.claimed_email
    if not email:
        raise Conflict(
            "this visitor has not given an email to verify",
            errors=[field_error("email", "call POST /v1/widget/verify/start first")],
        )
    settings = runtime.settings.channels

    def tx() -> OneStoryError | None:
        with runtime.db.transaction(write=True) as s:
            return check_code(
                s,
                visitor.visitor_id,
                email,
                code,
                key,
                runtime.clock.now(),
                settings.widget_code_attempts,
            )

    refused = await asyncio.to_thread(tx)
    if refused is not None:
        raise refused
    verified = replace(visitor, email=email, claimed_email=None)
    env = {
        "type": "identity.verified",
        "source": "widget",
        "channel": "chat",
        "occurred_at": runtime.clock.now().isoformat(),
        "customer": verified.identifiers(),
        "payload": {"kind": "email", "method": "email_code"},
        "idempotency_key": new_id("wver"),
    }
    (outcome,), recorded = await asyncio.to_thread(ingest_with_retry, runtime, [env])
    raise_for(outcome)
    await runtime.work.publish_recorded(recorded)
    return verified, outcome.customer_id

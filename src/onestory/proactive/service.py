"""Consents and contact preferences: every change is a story event, recorded with it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onestory.cases.change import Change
from onestory.events.service import EventDraft
from onestory.kit.errors import InvalidInput, field_error
from onestory.proactive.guardrails import _zone
from onestory.proactive.models import Consent, ContactPreference
from onestory.proactive.playbooks import PURPOSES


def set_consent(
    session: Session,
    customer_id: str,
    *,
    purpose: str,
    channel: str,
    granted: bool,
    source: str | None,
    now: datetime,
) -> Change[Consent]:
    if purpose not in PURPOSES:
        raise InvalidInput(
            f"unknown purpose {purpose!r}",
            errors=[field_error("purpose", f"choose from {', '.join(PURPOSES)}")],
        )
    row = session.get(Consent, (customer_id, purpose, channel))
    before = row.granted if row else None
    if row is None:
        row = Consent(customer_id=customer_id, purpose=purpose, channel=channel)
        session.add(row)
    row.granted = granted
    row.source = source
    row.updated_at = now
    payload = {
        "purpose": purpose,
        "channel": channel,
        "granted": granted,
        "before": before,
        "source": source,
    }
    draft = EventDraft(
        type="consent.changed", customer_id=customer_id, payload=payload, occurred_at=now
    )
    return Change(row, [draft] if before != granted else [])


def consents_of(session: Session, customer_id: str) -> list[Consent]:
    return list(
        session.scalars(
            select(Consent)
            .where(Consent.customer_id == customer_id)
            .order_by(Consent.purpose, Consent.channel)
        )
    )


def set_preferences(
    session: Session, customer_id: str, values: dict[str, Any], *, now: datetime
) -> Change[ContactPreference]:
    tz = values.get("timezone")
    if tz and _zone(tz, "") != tz:
        raise InvalidInput(
            f"unknown time zone {tz!r}",
            errors=[field_error("timezone", "an IANA zone name such as Europe/Berlin")],
        )
    row = session.get(ContactPreference, customer_id)
    if row is None:
        row = ContactPreference(customer_id=customer_id)
        session.add(row)
    for k in ("preferred_channel", "language", "timezone"):
        if k in values:
            setattr(row, k, values[k])
    row.updated_at = now
    payload = {k: getattr(row, k) for k in ("preferred_channel", "language", "timezone")}
    draft = EventDraft(
        type="preferences.changed", customer_id=customer_id, payload=payload, occurred_at=now
    )
    return Change(row, [draft])

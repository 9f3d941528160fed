"""Consents and contact preferences: the rules, and the reads other domains use.

Changes take the session first, never commit, and return a :class:`Change` with the story event
to record in the same transaction (``consent.changed`` only when the answer changed,
``preferences.changed`` on every write).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from onestory.cases.change import Change
from onestory.events.service import EventDraft
from onestory.kit.errors import InvalidInput, field_error
from onestory.privacy import repository
from onestory.privacy.models import Consent, ContactPreference

PURPOSES = ("service", "proactive", "marketing")
# Without an explicit answer, service messages (about the customer's own case or promise) may
# be sent; proactive and marketing outreach needs the customer's explicit consent.
DEFAULT_CONSENT = {"service": True, "proactive": False, "marketing": False}
PREFERENCE_FIELDS = ("preferred_channel", "language", "timezone")


# --- reads for other domains -------------------------------------------------------------------
def answer(consents: Mapping[tuple[str, str], bool], purpose: str, channel: str) -> bool:
    """Whether ``consents`` ((purpose, channel) → granted) allow ``purpose`` on ``channel``:
    the answer for that channel, else the one for all channels ("*"), else the default."""
    for key in ((purpose, channel), (purpose, "*")):
        if key in consents:
            return consents[key]
    return DEFAULT_CONSENT.get(purpose, False)


def consented(session: Session, customer_ids: Sequence[str], purpose: str, channel: str) -> bool:
    """Whether the customer (all ``customer_ids`` of one group) may be contacted for
    ``purpose`` on ``channel``."""
    found = repository.channel_answers(session, customer_ids, purpose, [channel, "*"])
    return answer({(purpose, c): g for c, g in found.items()}, purpose, channel)


def consent_answers(session: Session, customer_id: str) -> dict[tuple[str, str], bool]:
    """Every explicit answer of one customer: (purpose, channel) → granted."""
    return {(c.purpose, c.channel): c.granted for c in repository.consents_of(session, customer_id)}


def consents_of(session: Session, customer_id: str) -> list[Consent]:
    return repository.consents_of(session, customer_id)


def preferences_of(session: Session, customer_id: str) -> ContactPreference | None:
    return repository.preferences(session, customer_id)


def preferred_channel(session: Session, customer_ids: Sequence[str]) -> str | None:
    """The channel one of ``customer_ids`` (one customer's group) asked to be reached on."""
    return repository.preferred_channel(session, customer_ids)


def known_zone(name: str | None, default: str) -> str:
    """``name`` if it is a known IANA time zone, else ``default`` if that is, else "UTC"."""
    for candidate in (name, default, "UTC"):
        if candidate:
            try:
                ZoneInfo(candidate)
                return candidate
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return "UTC"


# --- changes -----------------------------------------------------------------------------------
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
    row = repository.consent(session, customer_id, purpose, channel)
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


def set_preferences(
    session: Session, customer_id: str, values: dict[str, Any], *, now: datetime
) -> Change[ContactPreference]:
    tz = values.get("timezone")
    if tz and known_zone(tz, "") != tz:
        raise InvalidInput(
            f"unknown time zone {tz!r}",
            errors=[field_error("timezone", "an IANA zone name such as Europe/Berlin")],
        )
    row = repository.preferences(session, customer_id)
    if row is None:
        row = ContactPreference(customer_id=customer_id)
        session.add(row)
    for k in PREFERENCE_FIELDS:
        if k in values:
            setattr(row, k, values[k])
    row.updated_at = now
    payload = {k: getattr(row, k) for k in PREFERENCE_FIELDS}
    draft = EventDraft(
        type="preferences.changed", customer_id=customer_id, payload=payload, occurred_at=now
    )
    return Change(row, [draft])

"""SQL for consents and contact preferences."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from onestory.privacy.models import Consent, ContactPreference


def consent(session: Session, customer_id: str, purpose: str, channel: str) -> Consent | None:
    return session.get(Consent, (customer_id, purpose, channel))


def consents_of(session: Session, customer_id: str) -> list[Consent]:
    return list(
        session.scalars(
            select(Consent)
            .where(Consent.customer_id == customer_id)
            .order_by(Consent.purpose, Consent.channel)
        )
    )


def channel_answers(
    session: Session, customer_ids: Sequence[str], purpose: str, channels: Sequence[str]
) -> dict[str, bool]:
    """Channel → granted for ``purpose`` on any of ``channels``, over all ``customer_ids``."""
    rows = session.execute(
        select(Consent.channel, Consent.granted).where(
            Consent.customer_id.in_(customer_ids),
            Consent.purpose == purpose,
            Consent.channel.in_(channels),
        )
    ).all()
    return {channel: granted for channel, granted in rows}


def preferences(session: Session, customer_id: str) -> ContactPreference | None:
    return session.get(ContactPreference, customer_id)


def preferred_channel(session: Session, customer_ids: Sequence[str]) -> str | None:
    """A preferred channel stated by any of ``customer_ids``, if one is."""
    return session.scalar(
        select(ContactPreference.preferred_channel).where(
            ContactPreference.customer_id.in_(customer_ids),
            ContactPreference.preferred_channel.is_not(None),
        )
    )

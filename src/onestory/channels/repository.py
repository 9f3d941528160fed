"""SQL of the channels domain."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from onestory.conversations.models import OutboxItem


def outbound_by_provider_id(session: Session, provider_id: str) -> tuple[str, str] | None:
    """(event id, customer id) of the outbound message a provider knows as ``provider_id``."""
    row = session.execute(
        select(OutboxItem.event_id, OutboxItem.customer_id).where(
            OutboxItem.provider_id == provider_id
        )
    ).first()
    return (row[0], row[1]) if row else None

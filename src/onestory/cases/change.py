"""What the cases domain's rules share: the :class:`Change` they return and small helpers.

Rules in :mod:`~onestory.cases.case`, :mod:`~onestory.cases.task` and
:mod:`~onestory.cases.promise` take the session first, never commit, and return the story events
(``EventDraft``) the change produced; the caller records them in the same transaction
(``record`` in an endpoint, ``ctx.emit`` in a pipeline stage).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from onestory.events.service import EventDraft
from onestory.kit.errors import InvalidInput, field_error

T = TypeVar("T")


@dataclass
class Change(Generic[T]):
    """A changed object and the story events to record with it."""

    obj: T
    drafts: list[EventDraft]


def draft(
    type_: str, customer_id: str, payload: dict[str, Any], when: datetime, key: str
) -> EventDraft:
    return EventDraft(
        type=type_, customer_id=customer_id, payload=payload, occurred_at=when, idempotency_key=key
    )


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def check(value: str, allowed: Sequence[str], field: str) -> None:
    if value not in allowed:
        raise InvalidInput(
            f"{field} {value!r} is not one of {', '.join(allowed)}",
            errors=[field_error(field, f"choose from {', '.join(allowed)}")],
        )

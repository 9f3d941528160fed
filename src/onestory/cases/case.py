"""Rules of cases: open, look up, update and list a customer's cases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onestory.cases import repository
from onestory.cases.change import Change, check, draft
from onestory.cases.models import Case
from onestory.kit.errors import NotFound
from onestory.kit.ids import new_id

CASE_STATUSES = ("open", "pending", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")


def open_case(
    session: Session,
    customer_id: str,
    *,
    title: str,
    now: datetime,
    description: str | None = None,
    priority: str = "normal",
    team: str | None = None,
    conversation_id: str | None = None,
    event_id: str | None = None,
    signal_id: str | None = None,
) -> Change[Case]:
    """Open a case from a conversation, an event, a signal or by hand. Opening twice from the
    same signal returns the first case (a re-run pipeline stage must not open two)."""
    check(priority, PRIORITIES, "priority")
    origin, origin_id = "manual", None
    if signal_id:
        origin, origin_id = "signal", f"signal:{signal_id}"
        existing = repository.case_by_origin(session, origin_id)
        if existing is not None:
            return Change(existing, [])
    elif conversation_id:
        origin = "conversation"
    elif event_id:
        origin = "event"
    case = Case(
        id=new_id("case"),
        customer_id=customer_id,
        title=title,
        description=description,
        status="open",
        priority=priority,
        team=team,
        origin=origin,
        origin_id=origin_id,
        conversation_ids=[conversation_id] if conversation_id else [],
        event_ids=[event_id] if event_id else [],
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    payload = {
        "case_id": case.id,
        "title": title,
        "priority": priority,
        "team": team,
        "origin": origin,
        "conversation_id": conversation_id,
        "event_id": event_id,
        "signal_id": signal_id,
    }
    return Change(case, [draft("case.opened", customer_id, payload, now, f"case.opened:{case.id}")])


def get_case(session: Session, case_id: str) -> Case:
    case = repository.case_by_id(session, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    return case


def update_case(
    session: Session,
    case: Case,
    *,
    now: datetime,
    status: str | None = None,
    priority: str | None = None,
    team: str | None = None,
    link_conversation: str | None = None,
    link_event: str | None = None,
) -> Change[Case]:
    changes: dict[str, Any] = {}
    if status is not None and status != case.status:
        check(status, CASE_STATUSES, "status")
        changes["status"] = {"from": case.status, "to": status}
        case.status = status
        case.closed_at = now if status in ("resolved", "closed") else None
    if priority is not None and priority != case.priority:
        check(priority, PRIORITIES, "priority")
        changes["priority"] = {"from": case.priority, "to": priority}
        case.priority = priority
    if team is not None and team != case.team:
        changes["team"] = {"from": case.team, "to": team}
        case.team = team
    if link_conversation and link_conversation not in case.conversation_ids:
        case.conversation_ids = [*case.conversation_ids, link_conversation]
        changes["linked_conversation"] = link_conversation
    if link_event and link_event not in case.event_ids:
        case.event_ids = [*case.event_ids, link_event]
        changes["linked_event"] = link_event
    if not changes:
        return Change(case, [])
    case.updated_at = now
    payload = {"case_id": case.id, "changes": changes}
    key = f"case.updated:{case.id}:{now.isoformat()}:{sorted(changes)}"
    return Change(case, [draft("case.updated", case.customer_id, payload, now, key)])


def list_cases(
    session: Session,
    *,
    customer_ids: Sequence[str] | None = None,
    status: str | None = None,
    team: str | None = None,
    limit: int = 100,
) -> list[Case]:
    return repository.cases(
        session, customer_ids=customer_ids, status=status, team=team, limit=limit
    )

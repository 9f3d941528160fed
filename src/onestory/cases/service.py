"""Rules of cases, tasks and promises. Functions take the session first, never commit, and
return the story events (``EventDraft``) the change produced; the caller records them in the
same transaction (``record`` in an endpoint, ``ctx.emit`` in a pipeline stage)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from onestory.cases.models import Case, Promise, Task
from onestory.events.service import EventDraft
from onestory.kit.errors import InvalidInput, NotFound, field_error
from onestory.kit.ids import new_id

CASE_STATUSES = ("open", "pending", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
TASK_KINDS = ("visit", "refund", "replacement", "callback", "other")
TASK_STATUSES = ("open", "scheduled", "en_route", "in_progress", "done", "failed", "cancelled")
TASK_FINAL = ("done", "failed", "cancelled")
PROMISE_KINDS = ("refund", "callback", "visit", "shipment", "other")

# Events from other systems that fulfil an open promise of a kind, when they arrive in time.
FULFILLING: dict[str, str] = {
    "visit.completed": "visit",
    "payment.refunded": "refund",
    "refund.completed": "refund",
    "order.shipped": "shipment",
    "shipment.sent": "shipment",
    "call.started": "callback",
}
# A task of this kind keeps a promise of that kind when done.
TASK_KEEPS: dict[str, str] = {
    "visit": "visit",
    "refund": "refund",
    "replacement": "shipment",
    "callback": "callback",
}


T = TypeVar("T")


@dataclass
class Change(Generic[T]):
    """A changed object and the story events to record with it."""

    obj: T
    drafts: list[EventDraft]


def _draft(
    type_: str, customer_id: str, payload: dict[str, Any], when: datetime, key: str
) -> EventDraft:
    return EventDraft(
        type=type_, customer_id=customer_id, payload=payload, occurred_at=when, idempotency_key=key
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _check(value: str, allowed: Sequence[str], field: str) -> None:
    if value not in allowed:
        raise InvalidInput(
            f"{field} {value!r} is not one of {', '.join(allowed)}",
            errors=[field_error(field, f"choose from {', '.join(allowed)}")],
        )


# --- cases -------------------------------------------------------------------------------------
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
    _check(priority, PRIORITIES, "priority")
    origin, origin_id = "manual", None
    if signal_id:
        origin, origin_id = "signal", f"signal:{signal_id}"
        existing = session.scalar(select(Case).where(Case.origin_id == origin_id))
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
    return Change(
        case, [_draft("case.opened", customer_id, payload, now, f"case.opened:{case.id}")]
    )


def get_case(session: Session, case_id: str) -> Case:
    case = session.get(Case, case_id)
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
        _check(status, CASE_STATUSES, "status")
        changes["status"] = {"from": case.status, "to": status}
        case.status = status
        case.closed_at = now if status in ("resolved", "closed") else None
    if priority is not None and priority != case.priority:
        _check(priority, PRIORITIES, "priority")
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
    return Change(case, [_draft("case.updated", case.customer_id, payload, now, key)])


def list_cases(
    session: Session,
    *,
    customer_ids: Sequence[str] | None = None,
    status: str | None = None,
    team: str | None = None,
    limit: int = 100,
) -> list[Case]:
    stmt = select(Case)
    if customer_ids is not None:
        stmt = stmt.where(Case.customer_id.in_(customer_ids))
    if status:
        stmt = stmt.where(Case.status == status)
    if team:
        stmt = stmt.where(Case.team == team)
    return list(session.scalars(stmt.order_by(Case.created_at.desc()).limit(limit)))


# --- tasks -------------------------------------------------------------------------------------
def create_task(
    session: Session,
    customer_id: str,
    *,
    kind: str,
    title: str,
    now: datetime,
    case_id: str | None = None,
    team: str | None = None,
    assignee: str | None = None,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    due_at: datetime | None = None,
    external_id: str | None = None,
    details: dict[str, Any] | None = None,
    promise_id: str | None = None,
) -> Change[Task]:
    _check(kind, TASK_KINDS, "kind")
    if window_start and window_end and window_end <= window_start:
        raise InvalidInput(
            "the window ends before it starts",
            errors=[field_error("window_end", "must be after window_start")],
        )
    if case_id is not None:
        get_case(session, case_id)
    if external_id and session.scalar(select(Task.id).where(Task.external_id == external_id)):
        raise InvalidInput(
            f"a task with external id {external_id} exists",
            errors=[field_error("external_id", "already used")],
        )
    task = Task(
        id=new_id("task"),
        customer_id=customer_id,
        case_id=case_id,
        kind=kind,
        title=title,
        team=team,
        assignee=assignee,
        status="scheduled" if window_start else "open",
        window_start=window_start,
        window_end=window_end,
        due_at=due_at or window_end,
        external_id=external_id,
        details=details or {},
        history=[],
        created_at=now,
        updated_at=now,
    )
    session.add(task)
    drafts = [
        _draft(
            "task.created",
            customer_id,
            {"task": task_payload(task)},
            now,
            f"task.created:{task.id}",
        )
    ]
    if promise_id:
        promise = get_promise(session, promise_id)
        promise.task_id = task.id
    return Change(task, drafts)


def task_payload(task: Task) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "kind": task.kind,
        "title": task.title,
        "team": task.team,
        "assignee": task.assignee,
        "status": task.status,
        "case_id": task.case_id,
        "window_start": _iso(task.window_start),
        "window_end": _iso(task.window_end),
        "due_at": _iso(task.due_at),
        "external_id": task.external_id,
    }


def get_task(session: Session, task_id: str) -> Task:
    """A task by its id or by its id in the field-service / back-office system."""
    task = session.scalar(select(Task).where(or_(Task.id == task_id, Task.external_id == task_id)))
    if task is None:
        raise NotFound(f"task {task_id} does not exist")
    return task


def list_tasks(
    session: Session,
    *,
    assignee: str | None = None,
    team: str | None = None,
    status: Sequence[str] | None = None,
    customer_ids: Sequence[str] | None = None,
    limit: int = 200,
) -> list[Task]:
    stmt = select(Task)
    if assignee:
        stmt = stmt.where(Task.assignee == assignee)
    if team:
        stmt = stmt.where(Task.team == team)
    if status:
        stmt = stmt.where(Task.status.in_(list(status)))
    if customer_ids is not None:
        stmt = stmt.where(Task.customer_id.in_(customer_ids))
    stmt = stmt.order_by(Task.due_at.is_(None), Task.due_at, Task.created_at)
    return list(session.scalars(stmt.limit(limit)))


def update_task_status(
    session: Session,
    task: Task,
    *,
    status: str,
    occurred_at: datetime,
    now: datetime,
    note: str | None = None,
    assignee: str | None = None,
    source: str = "api",
    event_id: str | None = None,
    record_event: bool = True,
) -> Change[Task]:
    """Apply a status update (from the API or a field-service / back-office system) and keep
    the promises the task fulfils when it is done in time. Replaying the same source event
    changes nothing."""
    _check(status, TASK_STATUSES, "status")
    if event_id and any(h.get("event_id") == event_id for h in task.history):
        return Change(task, [])
    entry = {
        "status": status,
        "from": task.status,
        "at": occurred_at.isoformat(),
        "source": source,
        "note": note,
        "event_id": event_id,
    }
    task.history = [*task.history, entry]
    task.status = status
    if assignee:
        task.assignee = assignee
    task.updated_at = now
    drafts: list[EventDraft] = []
    if record_event:
        payload = {**task_payload(task), "from": entry["from"], "note": note, "source": source}
        key = f"task.updated:{task.id}:{len(task.history)}"
        drafts.append(_draft("task.updated", task.customer_id, payload, occurred_at, key))
    if status == "done":
        task.completed_at = occurred_at
        for promise in session.scalars(
            select(Promise).where(Promise.task_id == task.id, Promise.status == "open")
        ):
            evidence = {
                "task_id": task.id,
                "task_status": status,
                "completed_at": occurred_at.isoformat(),
                "event_id": event_id,
                "note": note,
            }
            drafts.extend(resolve_promise(promise, occurred_at, evidence, now=now))
    return Change(task, drafts)


# --- promises ----------------------------------------------------------------------------------
def get_promise(session: Session, promise_id: str) -> Promise:
    promise = session.get(Promise, promise_id)
    if promise is None:
        raise NotFound(f"promise {promise_id} does not exist")
    return promise


def promise_payload(p: Promise) -> dict[str, Any]:
    return {
        "promise_id": p.id,
        "what": p.what,
        "who": p.who,
        "kind": p.kind,
        "due_by": p.due_by.isoformat(),
        "window_start": _iso(p.window_start),
        "window_end": _iso(p.window_end),
        "status": p.status,
        "origin": p.origin,
        "case_id": p.case_id,
        "task_id": p.task_id,
        "source_event_id": p.source_event_id,
        "text": p.text,
        "confidence": p.confidence,
    }


def make_promise(
    session: Session,
    customer_id: str,
    *,
    what: str,
    who: str,
    kind: str,
    due_by: datetime,
    now: datetime,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    case_id: str | None = None,
    task_id: str | None = None,
    origin: str = "api",
    origin_key: str | None = None,
    source_event_id: str | None = None,
    text: str | None = None,
    confidence: float | None = None,
) -> Change[Promise]:
    _check(kind, PROMISE_KINDS, "kind")
    if origin_key is not None:
        existing = session.scalar(select(Promise).where(Promise.origin_key == origin_key))
        if existing is not None:
            return Change(existing, [])
    if task_id is not None:
        task_id = get_task(session, task_id).id
    promise = Promise(
        id=new_id("prm"),
        customer_id=customer_id,
        case_id=case_id,
        task_id=task_id,
        what=what[:500],
        who=who[:100],
        kind=kind,
        due_by=due_by,
        window_start=window_start,
        window_end=window_end,
        status="open",
        origin=origin,
        origin_key=origin_key,
        source_event_id=source_event_id,
        text=text,
        confidence=confidence,
        evidence={},
        created_at=now,
    )
    session.add(promise)
    payload = promise_payload(promise)
    if source_event_id:
        payload["evidence"] = {"event_id": source_event_id, "quote": text}
    key = f"promise.made:{promise.origin_key or promise.id}"
    return Change(promise, [_draft("promise.made", customer_id, payload, now, key)])


def resolve_promise(
    promise: Promise, at: datetime, evidence: dict[str, Any], *, now: datetime
) -> list[EventDraft]:
    """Keep the promise when ``at`` is within its due time, else break it."""
    if promise.status != "open":
        return []
    kept = at <= promise.due_by
    promise.status = "kept" if kept else "broken"
    promise.resolved_at = at if kept else now
    reason = "fulfilled in time" if kept else "fulfilled after the due time"
    promise.evidence = {**evidence, "reason": reason}
    type_ = "promise.kept" if kept else "promise.broken"
    payload = {**promise_payload(promise), "evidence": promise.evidence}
    when = at if kept else now
    return [_draft(type_, promise.customer_id, payload, when, f"{type_}:{promise.id}")]


def break_overdue(session: Session, *, now: datetime, limit: int = 1000) -> list[EventDraft]:
    """Break every open promise whose due time has passed (the periodic checker)."""
    drafts: list[EventDraft] = []
    overdue = session.scalars(
        select(Promise)
        .where(Promise.status == "open", Promise.due_by < now)
        .order_by(Promise.due_by)
        .limit(limit)
    )
    for p in overdue:
        p.status = "broken"
        p.resolved_at = now
        p.evidence = {
            "reason": "due time passed without a fulfilling task or event",
            "due_by": p.due_by.isoformat(),
            "checked_at": now.isoformat(),
            "task_id": p.task_id,
        }
        payload = {**promise_payload(p), "evidence": p.evidence}
        drafts.append(
            _draft("promise.broken", p.customer_id, payload, p.due_by, f"promise.broken:{p.id}")
        )
    return drafts


def fulfil_by_event(
    session: Session,
    customer_id: str,
    *,
    event_type: str,
    event_id: str,
    occurred_at: datetime,
    payload: dict[str, Any],
    now: datetime,
) -> list[EventDraft]:
    """Keep the customer's open promises of the kind this event fulfils (the oldest first)."""
    kind = FULFILLING.get(event_type)
    if kind is None:
        return []
    if event_type == "call.started" and payload.get("direction") != "outbound":
        return []
    open_ = session.scalars(
        select(Promise)
        .where(
            Promise.customer_id == customer_id,
            Promise.kind == kind,
            Promise.status == "open",
            Promise.created_at <= occurred_at,
        )
        .order_by(Promise.due_by)
    ).all()
    if not open_:
        return []
    evidence = {"event_id": event_id, "event_type": event_type, "at": occurred_at.isoformat()}
    return resolve_promise(open_[0], occurred_at, evidence, now=now)


def list_promises(
    session: Session,
    *,
    customer_ids: Sequence[str] | None = None,
    status: str | None = None,
    limit: int = 200,
) -> list[Promise]:
    stmt = select(Promise)
    if customer_ids is not None:
        stmt = stmt.where(Promise.customer_id.in_(customer_ids))
    if status:
        stmt = stmt.where(Promise.status == status)
    return list(session.scalars(stmt.order_by(Promise.due_by.desc()).limit(limit)))

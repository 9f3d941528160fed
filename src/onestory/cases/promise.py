"""Rules of promises: make, keep, break (overdue or fulfilled late) and list them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onestory.cases import repository
from onestory.cases.change import Change, check, draft, iso
from onestory.cases.models import Promise
from onestory.events.service import EventDraft
from onestory.kit.errors import NotFound
from onestory.kit.ids import new_id

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


def get_promise(session: Session, promise_id: str) -> Promise:
    promise = repository.promise_by_id(session, promise_id)
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
        "window_start": iso(p.window_start),
        "window_end": iso(p.window_end),
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
    check(kind, PROMISE_KINDS, "kind")
    if origin_key is not None:
        existing = repository.promise_by_origin(session, origin_key)
        if existing is not None:
            return Change(existing, [])
    if task_id is not None:
        # The task module depends on this one (a done task keeps promises), so the task a
        # promise is tied to (by id or external id) is looked up here, not via get_task.
        found = repository.task_id_of(session, task_id)
        if found is None:
            raise NotFound(f"task {task_id} does not exist")
        task_id = found
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
    return Change(promise, [draft("promise.made", customer_id, payload, now, key)])


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
    return [draft(type_, promise.customer_id, payload, when, f"{type_}:{promise.id}")]


def break_overdue(session: Session, *, now: datetime, limit: int = 1000) -> list[EventDraft]:
    """Break every open promise whose due time has passed (the periodic checker)."""
    drafts: list[EventDraft] = []
    for p in repository.overdue_promises(session, now=now, limit=limit):
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
            draft("promise.broken", p.customer_id, payload, p.due_by, f"promise.broken:{p.id}")
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
    open_ = repository.open_promises_made_by(session, customer_id, kind, occurred_at)
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
    return repository.promises(session, customer_ids=customer_ids, status=status, limit=limit)

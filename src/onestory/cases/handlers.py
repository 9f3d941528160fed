"""Pipeline stage handlers of the cases domain (project stage): promises from the AI, task
status updates from field-service / back-office systems, promises kept by fulfilling events."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onestory.cases import promise as promise_rules
from onestory.cases import task as task_rules
from onestory.events import repository as events_repo
from onestory.kit.clock import ensure_utc
from onestory.kit.errors import OneStoryError
from onestory.pipeline.stages import StageContext, StoredEvent

log = logging.getLogger(__name__)

PROMISE_AUTHORS = ("agent", "ai")
# AI promises below this confidence are not tracked (offers, vague wording).
MIN_CONFIDENCE = 0.5


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return ensure_utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def cases_projected(session: Session, events: list[StoredEvent], ctx: StageContext) -> None:
    now = ctx.clock.now()
    sent = [
        e
        for e in events
        if e.type == "message.sent" and e.customer_id and e.payload.get("author") in PROMISE_AUTHORS
    ]
    if sent:
        _promises_from_ai(session, sent, ctx, now)
    for e in events:
        if not e.customer_id:
            continue
        if e.type == "task.updated" and e.source != "onestory":
            _task_update(session, e, ctx, now)
        elif e.type == "visit.completed" and e.payload.get("visit_id"):
            _visit_completed(session, e, ctx, now)
        elif e.type in promise_rules.FULFILLING:
            for d in promise_rules.fulfil_by_event(
                session,
                e.customer_id,
                event_type=e.type,
                event_id=e.id,
                occurred_at=e.occurred_at,
                payload=e.payload,
                now=now,
            ):
                ctx.emit(d)


def _promises_from_ai(
    session: Session, sent: list[StoredEvent], ctx: StageContext, now: datetime
) -> None:
    insights = events_repo.insights_for(session, [e.id for e in sent])
    for e in sent:
        assert e.customer_id is not None
        for row in insights.get(e.id, []):
            if row.kind != "promises" or not isinstance(row.value, dict):
                continue
            for i, item in enumerate(row.value.get("items") or []):
                if not isinstance(item, dict):
                    continue
                due = _when(item.get("due_by"))
                conf = item.get("confidence")
                if due is None or (isinstance(conf, int | float) and conf < MIN_CONFIDENCE):
                    continue
                kind = item.get("kind")
                if kind not in promise_rules.PROMISE_KINDS:
                    kind = "other"
                change = promise_rules.make_promise(
                    session,
                    e.customer_id,
                    what=str(item.get("what") or item.get("text") or "promise"),
                    who=str(item.get("who") or e.payload.get("author_id") or "agent"),
                    kind=str(kind),
                    due_by=due,
                    window_start=_when(item.get("window_start")),
                    window_end=_when(item.get("window_end")),
                    now=e.occurred_at,
                    origin="ai",
                    origin_key=f"{e.id}:{i}",
                    source_event_id=e.id,
                    text=str(item.get("text") or "") or None,
                    confidence=float(conf) if isinstance(conf, int | float) else None,
                )
                for d in change.drafts:
                    ctx.emit(d)


def _task_update(session: Session, e: StoredEvent, ctx: StageContext, now: datetime) -> None:
    ref = e.payload.get("task_id") or e.payload.get("external_id")
    status = e.payload.get("status")
    if not isinstance(ref, str) or not isinstance(status, str):
        log.warning("task.updated %s names no task_id/external_id and status; ignored", e.id)
        return
    try:
        task = task_rules.get_task(session, ref)
        change = task_rules.update_task_status(
            session,
            task,
            status=status,
            occurred_at=e.occurred_at,
            now=now,
            note=e.payload.get("note") if isinstance(e.payload.get("note"), str) else None,
            assignee=e.payload.get("technician") or e.payload.get("assignee"),
            source=e.source,
            event_id=e.id,
            # The update is itself the story event; no second one.
            record_event=False,
        )
    except OneStoryError as exc:
        log.warning("task.updated %s not applied: %s", e.id, exc.detail)
        return
    for d in change.drafts:
        ctx.emit(d)


def _visit_completed(session: Session, e: StoredEvent, ctx: StageContext, now: datetime) -> None:
    try:
        task = task_rules.get_task(session, str(e.payload["visit_id"]))
    except OneStoryError:
        task = None
    if task is not None:
        change = task_rules.update_task_status(
            session,
            task,
            status="done",
            occurred_at=e.occurred_at,
            now=now,
            note=e.payload.get("notes"),
            source=e.source,
            event_id=e.id,
            record_event=False,
        )
        drafts = change.drafts
    else:
        assert e.customer_id is not None
        drafts = promise_rules.fulfil_by_event(
            session,
            e.customer_id,
            event_type=e.type,
            event_id=e.id,
            occurred_at=e.occurred_at,
            payload=e.payload,
            now=now,
        )
    for d in drafts:
        ctx.emit(d)

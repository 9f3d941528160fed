"""The one-screen summary: what happened, what was promised, what should happen next."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from onestory.cases import case as case_rules
from onestory.cases import promise as promise_rules
from onestory.cases import repository
from onestory.cases import task as task_rules
from onestory.cases.models import Task
from onestory.cases.schemas import (
    CaseOut,
    KeyEvent,
    NextStep,
    PromiseOut,
    SignalBrief,
    StorySummary,
    TaskOut,
    WhatHappened,
    WhatNext,
    WhatWasPromised,
)
from onestory.customers import repository as customers_repo
from onestory.customers.service import get_root
from onestory.models import Event

# Events that only feed metrics or echo another row are left out of "recent key events".
_NOISE = ("app.session", "usage.reported", "page.viewed", "proactive.action", "customer.merged")
_KEY_EVENTS = 10


def _describe(e: Event) -> str:
    p = e.payload or {}
    for field in ("text", "what", "title", "reason", "comment", "notes"):
        v = p.get(field)
        if isinstance(v, str) and v:
            return v if len(v) <= 160 else v[:157] + "..."
    if e.type == "signal.detected":
        return f"signal {p.get('kind')} ({p.get('severity')})"
    if "status" in p:
        return f"status {p['status']}"
    return e.type


def task_out(t: Task, now: datetime) -> TaskOut:
    out = TaskOut.model_validate(t)
    out.overdue = bool(t.due_at and t.due_at < now and t.status not in task_rules.TASK_FINAL)
    return out


def summary(session: Session, customer_id: str, *, now: datetime) -> StorySummary:
    root = get_root(session, customer_id)
    ids = customers_repo.group_ids(session, root.id)
    cases = [
        CaseOut.model_validate(c)
        for c in case_rules.list_cases(session, customer_ids=ids, limit=50)
        if c.status in ("open", "pending")
    ]
    events = repository.recent_events(session, ids, leave_out=_NOISE, limit=_KEY_EVENTS)
    key_events = [
        KeyEvent(
            id=e.id, type=e.type, channel=e.channel, occurred_at=e.occurred_at, summary=_describe(e)
        )
        for e in events
    ]
    signals = [
        SignalBrief(
            id=s.id,
            kind=s.kind,
            severity=s.severity,
            detected_at=s.detected_at,
            evidence=s.evidence,
        )
        for s in repository.recent_signals(session, ids, limit=5)
    ]
    promises = promise_rules.list_promises(session, customer_ids=ids, limit=500)
    by_status: dict[str, list[PromiseOut]] = {"open": [], "kept": [], "broken": []}
    for p in promises:
        if p.status in by_status:
            by_status[p.status].append(PromiseOut.model_validate(p))
    by_status["open"].sort(key=lambda p: p.due_by)
    resolved = len(by_status["kept"]) + len(by_status["broken"])
    tasks = [
        task_out(t, now)
        for t in task_rules.list_tasks(
            session,
            customer_ids=ids,
            status=[s for s in task_rules.TASK_STATUSES if s not in task_rules.TASK_FINAL],
        )
    ]
    return StorySummary(
        customer_id=root.id,
        generated_at=now,
        what_happened=WhatHappened(
            open_cases=cases, recent_key_events=key_events, recent_signals=signals
        ),
        what_was_promised=WhatWasPromised(
            open=by_status["open"],
            kept=by_status["kept"][:20],
            broken=by_status["broken"][:20],
            kept_rate=round(len(by_status["kept"]) / resolved, 4) if resolved else None,
        ),
        what_next=WhatNext(
            open_tasks=tasks,
            next_step=_next_step(cases, by_status, tasks, now),
        ),
    )


def _next_step(
    cases: list[CaseOut],
    promises: dict[str, list[PromiseOut]],
    tasks: list[TaskOut],
    now: datetime,
) -> NextStep:
    """One recommended step, the most urgent first: a broken promise not yet made good, an
    overdue task, an open promise due soonest, an open case with no work planned."""
    recent_broken = [p for p in promises["broken"] if p.resolved_at and p.resolved_at > _ago(now)]
    if recent_broken:
        p = recent_broken[0]
        return NextStep(
            action="apologise and make a new commitment",
            reason=f"promise broken: {p.what} (was due {p.due_by.isoformat()})",
            ref={"promise_id": p.id},
        )
    overdue = [t for t in tasks if t.overdue]
    if overdue:
        t = overdue[0]
        return NextStep(
            action=f"chase the {t.kind} task with {t.assignee or t.team or 'its team'}",
            reason=f"task '{t.title}' is overdue",
            due_at=t.due_at,
            ref={"task_id": t.id},
        )
    if promises["open"]:
        p = promises["open"][0]
        return NextStep(
            action=f"make sure '{p.what}' happens",
            reason=f"promised by {p.who}, due {p.due_by.isoformat()}",
            due_at=p.due_by,
            ref={"promise_id": p.id},
        )
    if tasks:
        t = tasks[0]
        return NextStep(
            action=f"follow the {t.kind} task",
            reason=f"'{t.title}' is {t.status}",
            due_at=t.due_at,
            ref={"task_id": t.id},
        )
    if cases:
        c = cases[0]
        return NextStep(
            action="plan the next step of the case",
            reason=f"case '{c.title}' is open with no task or promise",
            ref={"case_id": c.id},
        )
    return NextStep(action="nothing pending", reason="no open cases, tasks or promises")


def _ago(now: datetime) -> datetime:
    return now - timedelta(days=7)

"""Rules of tasks: create, look up, list and move tasks through their statuses; a task done
in time keeps the promises it fulfils."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onestory.cases import repository
from onestory.cases.case import get_case
from onestory.cases.change import Change, check, draft, iso
from onestory.cases.models import Task
from onestory.cases.promise import get_promise, resolve_promise
from onestory.events.service import EventDraft
from onestory.kit.errors import InvalidInput, NotFound, field_error
from onestory.kit.ids import new_id

TASK_KINDS = ("visit", "refund", "replacement", "callback", "other")
TASK_STATUSES = ("open", "scheduled", "en_route", "in_progress", "done", "failed", "cancelled")
TASK_FINAL = ("done", "failed", "cancelled")
# A task of this kind keeps a promise of that kind when done.
TASK_KEEPS: dict[str, str] = {
    "visit": "visit",
    "refund": "refund",
    "replacement": "shipment",
    "callback": "callback",
}


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
    check(kind, TASK_KINDS, "kind")
    if window_start and window_end and window_end <= window_start:
        raise InvalidInput(
            "the window ends before it starts",
            errors=[field_error("window_end", "must be after window_start")],
        )
    if case_id is not None:
        get_case(session, case_id)
    if external_id and repository.external_id_taken(session, external_id):
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
        draft(
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
        "window_start": iso(task.window_start),
        "window_end": iso(task.window_end),
        "due_at": iso(task.due_at),
        "external_id": task.external_id,
    }


def get_task(session: Session, task_id: str) -> Task:
    """A task by its id or by its id in the field-service / back-office system."""
    task = repository.task_by_id_or_external(session, task_id)
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
    return repository.tasks(
        session,
        assignee=assignee,
        team=team,
        status=status,
        customer_ids=customer_ids,
        limit=limit,
    )


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
    check(status, TASK_STATUSES, "status")
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
        drafts.append(draft("task.updated", task.customer_id, payload, occurred_at, key))
    if status == "done":
        task.completed_at = occurred_at
        for promise in repository.open_promises_of_task(session, task.id):
            evidence = {
                "task_id": task.id,
                "task_status": status,
                "completed_at": occurred_at.isoformat(),
                "event_id": event_id,
                "note": note,
            }
            drafts.extend(resolve_promise(promise, occurred_at, evidence, now=now))
    return Change(task, drafts)

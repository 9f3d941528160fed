"""SQL of the cases domain: cases, tasks, promises and the reads of the story summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from onestory.cases.models import Case, Promise, Task
from onestory.models import Event, Signal


# --- cases -------------------------------------------------------------------------------------
def case_by_id(session: Session, case_id: str) -> Case | None:
    return session.get(Case, case_id)


def case_by_origin(session: Session, origin_id: str) -> Case | None:
    return session.scalar(select(Case).where(Case.origin_id == origin_id))


def cases(
    session: Session,
    *,
    customer_ids: Sequence[str] | None,
    status: str | None,
    team: str | None,
    limit: int,
) -> list[Case]:
    """Cases matching every filter given, newest first."""
    stmt = select(Case)
    if customer_ids is not None:
        stmt = stmt.where(Case.customer_id.in_(customer_ids))
    if status:
        stmt = stmt.where(Case.status == status)
    if team:
        stmt = stmt.where(Case.team == team)
    return list(session.scalars(stmt.order_by(Case.created_at.desc()).limit(limit)))


# --- tasks -------------------------------------------------------------------------------------
def task_by_id_or_external(session: Session, task_id: str) -> Task | None:
    """A task by its id or by its id in the field-service / back-office system."""
    return session.scalar(select(Task).where(or_(Task.id == task_id, Task.external_id == task_id)))


def task_id_of(session: Session, task_id: str) -> str | None:
    """The id of the task ``task_id`` names (its id or external id), if it exists."""
    return session.scalar(
        select(Task.id).where(or_(Task.id == task_id, Task.external_id == task_id))
    )


def external_id_taken(session: Session, external_id: str) -> bool:
    return session.scalar(select(Task.id).where(Task.external_id == external_id)) is not None


def tasks(
    session: Session,
    *,
    assignee: str | None,
    team: str | None,
    status: Sequence[str] | None,
    customer_ids: Sequence[str] | None,
    limit: int,
) -> list[Task]:
    """Tasks matching every filter given, soonest due first (undated last)."""
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


# --- promises ----------------------------------------------------------------------------------
def promise_by_id(session: Session, promise_id: str) -> Promise | None:
    return session.get(Promise, promise_id)


def promise_by_origin(session: Session, origin_key: str) -> Promise | None:
    return session.scalar(select(Promise).where(Promise.origin_key == origin_key))


def open_promises_of_task(session: Session, task_id: str) -> list[Promise]:
    return list(
        session.scalars(select(Promise).where(Promise.task_id == task_id, Promise.status == "open"))
    )


def overdue_promises(session: Session, *, now: datetime, limit: int) -> list[Promise]:
    """Open promises due before ``now``, the longest overdue first."""
    return list(
        session.scalars(
            select(Promise)
            .where(Promise.status == "open", Promise.due_by < now)
            .order_by(Promise.due_by)
            .limit(limit)
        )
    )


def open_promises_made_by(
    session: Session, customer_id: str, kind: str, made_by: datetime
) -> list[Promise]:
    """The customer's open promises of ``kind`` made by ``made_by``, the soonest due first."""
    return list(
        session.scalars(
            select(Promise)
            .where(
                Promise.customer_id == customer_id,
                Promise.kind == kind,
                Promise.status == "open",
                Promise.created_at <= made_by,
            )
            .order_by(Promise.due_by)
        )
    )


def promises(
    session: Session,
    *,
    customer_ids: Sequence[str] | None,
    status: str | None,
    limit: int,
) -> list[Promise]:
    """Promises matching every filter given, the latest due first."""
    stmt = select(Promise)
    if customer_ids is not None:
        stmt = stmt.where(Promise.customer_id.in_(customer_ids))
    if status:
        stmt = stmt.where(Promise.status == status)
    return list(session.scalars(stmt.order_by(Promise.due_by.desc()).limit(limit)))


# --- the story summary -------------------------------------------------------------------------
def recent_events(
    session: Session, customer_ids: Sequence[str], *, leave_out: Sequence[str], limit: int
) -> list[Event]:
    """The customer's latest events, newest first, without the types in ``leave_out``."""
    return list(
        session.scalars(
            select(Event)
            .where(Event.customer_id.in_(customer_ids), Event.type.not_in(leave_out))
            .order_by(Event.occurred_at.desc(), Event.seq.desc())
            .limit(limit)
        )
    )


def recent_signals(session: Session, customer_ids: Sequence[str], *, limit: int) -> list[Signal]:
    return list(
        session.scalars(
            select(Signal)
            .where(Signal.customer_id.in_(customer_ids))
            .order_by(Signal.detected_at.desc())
            .limit(limit)
        )
    )

"""HTTP API of the cases, promises and tasks domain (mounted under /v1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from onestory.app_state import Runtime
from onestory.auth.service import Principal
from onestory.cases import case as case_rules
from onestory.cases import promise as promise_rules
from onestory.cases import task as task_rules
from onestory.cases.change import Change
from onestory.cases.checker import check_promises as run_check
from onestory.cases.schemas import (
    CaseIn,
    CaseList,
    CaseOut,
    CasePatch,
    PromiseIn,
    PromiseList,
    PromiseOut,
    StorySummary,
    TaskIn,
    TaskList,
    TaskOut,
    TaskStatusIn,
)
from onestory.cases.summary import summary, task_out
from onestory.customers import repository as customers_repo
from onestory.customers.service import get_root
from onestory.deps import RuntimeDep, SessionDep, require
from onestory.pipeline.uow import UnitOfWork

router = APIRouter(tags=["cases"])

Reader = Annotated[Principal, Depends(require("cases:read"))]
Writer = Annotated[Principal, Depends(require("cases:write"))]
CustomerReader = Annotated[Principal, Depends(require("customers:read"))]

M = TypeVar("M", bound=BaseModel)


async def _write(
    runtime: Runtime, out: type[M], fn: Callable[[Session, datetime], Change[Any]]
) -> M:
    """Run a change in one write transaction, record its story events with it, and feed
    them to the pipeline (and live screens) after commit."""

    def work(uow: UnitOfWork) -> M:
        change = fn(uow.session, uow.now)
        uow.session.flush()
        uow.record(change.drafts)
        return out.model_validate(change.obj)

    return await runtime.work.run(work)


# --- summary -----------------------------------------------------------------------------------
@router.get(
    "/customers/{customer_id}/story/summary",
    response_model=StorySummary,
    summary="One screen for every role: what happened, what was promised, what happens next",
)
def story_summary(
    customer_id: str, session: SessionDep, runtime: RuntimeDep, _: CustomerReader
) -> StorySummary:
    return summary(session, customer_id, now=runtime.clock.now())


# --- cases -------------------------------------------------------------------------------------
@router.post("/cases", response_model=CaseOut, status_code=201, summary="Open a case")
async def create_case(body: CaseIn, runtime: RuntimeDep, _: Writer) -> CaseOut:
    def fn(s: Session, now: datetime) -> Change[Any]:
        root = get_root(s, body.customer_id)
        return case_rules.open_case(
            s,
            root.id,
            title=body.title,
            description=body.description,
            priority=body.priority,
            team=body.team,
            conversation_id=body.conversation_id,
            event_id=body.event_id,
            signal_id=body.signal_id,
            now=now,
        )

    return await _write(runtime, CaseOut, fn)


@router.get("/cases", response_model=CaseList, summary="List cases")
def list_cases(
    session: SessionDep,
    _: Reader,
    customer_id: str | None = None,
    status: str | None = None,
    team: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CaseList:
    ids = None
    if customer_id:
        ids = customers_repo.group_ids(session, get_root(session, customer_id).id)
    rows = case_rules.list_cases(session, customer_ids=ids, status=status, team=team, limit=limit)
    return CaseList(items=[CaseOut.model_validate(c) for c in rows])


@router.get("/cases/{case_id}", response_model=CaseOut, summary="One case")
def get_case(case_id: str, session: SessionDep, _: Reader) -> CaseOut:
    return CaseOut.model_validate(case_rules.get_case(session, case_id))


@router.patch("/cases/{case_id}", response_model=CaseOut, summary="Change or link a case")
async def patch_case(case_id: str, body: CasePatch, runtime: RuntimeDep, _: Writer) -> CaseOut:
    def fn(s: Session, now: datetime) -> Change[Any]:
        return case_rules.update_case(
            s, case_rules.get_case(s, case_id), now=now, **body.model_dump(exclude_none=True)
        )

    return await _write(runtime, CaseOut, fn)


# --- tasks -------------------------------------------------------------------------------------
@router.post("/tasks", response_model=TaskOut, status_code=201, summary="Create a task")
async def create_task(body: TaskIn, runtime: RuntimeDep, _: Writer) -> TaskOut:
    def fn(s: Session, now: datetime) -> Change[Any]:
        root = get_root(s, body.customer_id)
        change = task_rules.create_task(
            s,
            root.id,
            kind=body.kind,
            title=body.title,
            case_id=body.case_id,
            team=body.team,
            assignee=body.assignee,
            window_start=body.window_start,
            window_end=body.window_end,
            due_at=body.due_at,
            external_id=body.external_id,
            details=body.details,
            promise_id=body.promise_id,
            now=now,
        )
        task = change.obj
        if body.promise and task.due_at:
            s.flush()
            made = promise_rules.make_promise(
                s,
                root.id,
                what=body.promise,
                who=task.assignee or task.team or "agent",
                kind=task_rules.TASK_KEEPS.get(task.kind, "other"),
                due_by=task.due_at,
                window_start=task.window_start,
                window_end=task.window_end,
                case_id=task.case_id,
                task_id=task.id,
                now=now,
            )
            change.drafts.extend(made.drafts)
        return change

    return await _write(runtime, TaskOut, fn)


@router.get(
    "/tasks",
    response_model=TaskList,
    summary="Task lists: by assignee (a technician), team (back office), status, customer",
)
def list_tasks(
    session: SessionDep,
    runtime: RuntimeDep,
    _: Reader,
    assignee: str | None = None,
    team: str | None = None,
    status: Annotated[list[str] | None, Query()] = None,
    customer_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> TaskList:
    ids = None
    if customer_id:
        ids = customers_repo.group_ids(session, get_root(session, customer_id).id)
    rows = task_rules.list_tasks(
        session, assignee=assignee, team=team, status=status, customer_ids=ids, limit=limit
    )
    now = runtime.clock.now()
    return TaskList(items=[task_out(t, now) for t in rows])


@router.get("/tasks/{task_id}", response_model=TaskOut, summary="One task (id or external id)")
def get_task(task_id: str, session: SessionDep, _: Reader) -> TaskOut:
    return TaskOut.model_validate(task_rules.get_task(session, task_id))


@router.post(
    "/tasks/{task_id}/status",
    response_model=TaskOut,
    summary="Status update from a person or a field-service / back-office system (webhook)",
)
async def update_task_status(
    task_id: str, body: TaskStatusIn, runtime: RuntimeDep, _: Writer
) -> TaskOut:
    def fn(s: Session, now: datetime) -> Change[Any]:
        return task_rules.update_task_status(
            s,
            task_rules.get_task(s, task_id),
            status=body.status,
            note=body.note,
            assignee=body.assignee,
            occurred_at=min(body.occurred_at or now, now),
            now=now,
            source=body.source,
        )

    return await _write(runtime, TaskOut, fn)


# --- promises ----------------------------------------------------------------------------------
@router.post("/promises", response_model=PromiseOut, status_code=201, summary="Record a promise")
async def create_promise(body: PromiseIn, runtime: RuntimeDep, _: Writer) -> PromiseOut:
    def fn(s: Session, now: datetime) -> Change[Any]:
        root = get_root(s, body.customer_id)
        return promise_rules.make_promise(
            s,
            root.id,
            what=body.what,
            who=body.who,
            kind=body.kind,
            due_by=body.due_by,
            window_start=body.window_start,
            window_end=body.window_end,
            case_id=body.case_id,
            task_id=body.task_id,
            now=now,
        )

    return await _write(runtime, PromiseOut, fn)


@router.get("/promises", response_model=PromiseList, summary="List promises")
def list_promises(
    session: SessionDep,
    _: Reader,
    customer_id: str | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> PromiseList:
    ids = None
    if customer_id:
        ids = customers_repo.group_ids(session, get_root(session, customer_id).id)
    rows = promise_rules.list_promises(session, customer_ids=ids, status=status, limit=limit)
    return PromiseList(items=[PromiseOut.model_validate(p) for p in rows])


@router.get("/promises/{promise_id}", response_model=PromiseOut, summary="One promise")
def get_promise(promise_id: str, session: SessionDep, _: Reader) -> PromiseOut:
    return PromiseOut.model_validate(promise_rules.get_promise(session, promise_id))


@router.post(
    "/promises/check",
    summary="Break every open promise whose due time has passed (also runs periodically)",
)
async def check_promises(runtime: RuntimeDep, _: Writer) -> dict[str, int]:
    return {"broken": await run_check(runtime)}

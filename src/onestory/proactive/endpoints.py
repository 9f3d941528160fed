"""HTTP API of the proactive service (signals, playbooks) domain (mounted under /v1)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from onestory.app_state import Runtime
from onestory.auth.service import Principal
from onestory.customers.service import get_root
from onestory.deps import RuntimeDep, SessionDep, require
from onestory.models import Signal
from onestory.pipeline.uow import UnitOfWork
from onestory.proactive import playbooks
from onestory.proactive.metrics import outcomes
from onestory.proactive.models import Playbook, ProactiveAction
from onestory.proactive.scheduler import release_deferred
from onestory.proactive.simulate import simulate

router = APIRouter(tags=["proactive"])

Reader = Annotated[Principal, Depends(require("cases:read"))]
PlaybookWriter = Annotated[Principal, Depends(require("playbooks:write"))]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PlaybookOut(_Out):
    name: str
    version: int
    enabled: bool
    origin: str
    updated_at: datetime
    spec: dict[str, Any]
    source: str


class PlaybookYaml(BaseModel):
    yaml: str = Field(min_length=1, max_length=200_000)


class DryRunIn(BaseModel):
    since_days: float = Field(default=30, gt=0, le=3650)
    yaml: str | None = Field(default=None, description="try an unsaved version of the playbook")


class SignalOut(_Out):
    id: str
    customer_id: str
    kind: str
    severity: str
    source_event_id: str
    evidence: dict[str, Any]
    detected_at: datetime


class ActionOut(_Out):
    id: str
    customer_id: str
    playbook: str
    playbook_version: int
    signal_id: str | None
    signal_kind: str | None
    trigger_event_id: str
    action: str
    status: str
    reason: str | None
    channel: str | None
    details: dict[str, Any]
    created_at: datetime


# --- playbooks ---------------------------------------------------------------------------------
@router.get("/playbooks", response_model=list[PlaybookOut], summary="All playbooks")
def list_playbooks(session: SessionDep, _: Reader) -> list[PlaybookOut]:
    return [PlaybookOut.model_validate(r) for r in playbooks.all_rows(session)]


@router.post("/playbooks/validate", summary="Check a playbook's YAML without saving it")
def validate_playbook(body: PlaybookYaml, _: Reader) -> dict[str, Any]:
    return {"valid": True, "spec": playbooks.parse(body.yaml).model_dump(mode="json")}


@router.get("/playbooks/{name}", response_model=PlaybookOut, summary="One playbook")
def get_playbook(name: str, session: SessionDep, _: Reader) -> PlaybookOut:
    return PlaybookOut.model_validate(playbooks.get(session, name))


async def _write_playbook(runtime: Runtime, fn: Any) -> PlaybookOut:
    def work(uow: UnitOfWork) -> PlaybookOut:
        row: Playbook = fn(uow.session, uow.now)
        uow.session.flush()
        return PlaybookOut.model_validate(row)

    return await runtime.work.run(work)


@router.put("/playbooks/{name}", response_model=PlaybookOut, summary="Create or replace (YAML)")
async def put_playbook(
    name: str, body: PlaybookYaml, runtime: RuntimeDep, _: PlaybookWriter
) -> PlaybookOut:
    return await _write_playbook(runtime, lambda s, now: playbooks.put(s, name, body.yaml, now=now))


@router.post("/playbooks/{name}/enable", response_model=PlaybookOut, summary="Switch on")
async def enable_playbook(name: str, runtime: RuntimeDep, _: PlaybookWriter) -> PlaybookOut:
    return await _write_playbook(
        runtime, lambda s, now: playbooks.set_enabled(s, name, True, now=now)
    )


@router.post("/playbooks/{name}/disable", response_model=PlaybookOut, summary="Switch off")
async def disable_playbook(name: str, runtime: RuntimeDep, _: PlaybookWriter) -> PlaybookOut:
    return await _write_playbook(
        runtime, lambda s, now: playbooks.set_enabled(s, name, False, now=now)
    )


@router.post(
    "/playbooks/{name}/dry-run",
    summary="Replay history: whom this playbook would have contacted, and why",
)
def dry_run_playbook(
    name: str, body: DryRunIn, session: SessionDep, runtime: RuntimeDep, _: Reader
) -> dict[str, Any]:
    extra = []
    if body.yaml:
        spec = playbooks.parse(body.yaml)
        extra.append(spec)
        name = spec.name
    else:
        playbooks.get(session, name)
    now = runtime.clock.now()
    return simulate(
        session,
        since=now - timedelta(days=body.since_days),
        until=now,
        settings=runtime.settings.proactive,
        names=[name],
        extra=extra,
    )


# --- signals, actions, metrics -----------------------------------------------------------------
@router.get("/signals", response_model=list[SignalOut], summary="Detected signals, newest first")
def list_signals(
    session: SessionDep,
    _: Reader,
    customer_id: str | None = None,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[SignalOut]:
    stmt = select(Signal)
    if customer_id:
        stmt = stmt.where(Signal.customer_id == get_root(session, customer_id).id)
    if kind:
        stmt = stmt.where(Signal.kind == kind)
    rows = session.scalars(stmt.order_by(Signal.detected_at.desc()).limit(limit))
    return [SignalOut.model_validate(r) for r in rows]


@router.get(
    "/proactive/actions", response_model=list[ActionOut], summary="What playbooks did, and why"
)
def list_actions(
    session: SessionDep,
    _: Reader,
    customer_id: str | None = None,
    playbook: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ActionOut]:
    stmt = select(ProactiveAction)
    if customer_id:
        stmt = stmt.where(ProactiveAction.customer_id == get_root(session, customer_id).id)
    if playbook:
        stmt = stmt.where(ProactiveAction.playbook == playbook)
    rows = session.scalars(stmt.order_by(ProactiveAction.created_at.desc()).limit(limit))
    return [ActionOut.model_validate(r) for r in rows]


@router.post(
    "/proactive/release-deferred",
    summary="Queue messages held back by quiet hours whose quiet hours are over (also periodic)",
)
async def release(runtime: RuntimeDep, _: PlaybookWriter) -> dict[str, int]:
    return {"queued": await release_deferred(runtime)}


@router.get("/metrics/outcomes", summary="Promise-kept rate, proactive contacts, avoided calls")
def outcome_metrics(
    session: SessionDep,
    runtime: RuntimeDep,
    _: Reader,
    since_days: Annotated[float, Query(gt=0, le=3650)] = 30,
) -> dict[str, Any]:
    now = runtime.clock.now()
    return outcomes(session, since=now - timedelta(days=since_days), now=now)

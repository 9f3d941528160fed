"""AI insights API: corrections that become training data, model versions, sentiment
trajectory, conversation summaries, and the audited reveal of encrypted originals."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from onestory.ai.classify import sentiment_trajectory
from onestory.ai.classify.store import IntentModelStore, ModelNotFound
from onestory.ai.extract.summary import SummaryMessage, summarize
from onestory.ai.protocols import OpenAICompatibleGenerator
from onestory.ai.redaction import reveal
from onestory.auth.service import Principal, actor_of
from onestory.customers import repository as customers_repo
from onestory.customers import service as customers
from onestory.deps import RuntimeDep, SessionDep, require
from onestory.enrich.engine import CUSTOMER_ROLES, Enricher
from onestory.enrich.jobs import RetrainJobs, taxonomy
from onestory.enrich.stage import role_of
from onestory.events.service import EventDraft
from onestory.kit.errors import Conflict, InvalidInput, NotFound, Unavailable, field_error
from onestory.kit.http import ORJSONResponse
from onestory.kit.inputs import Since
from onestory.models import Event, Insight
from onestory.pipeline.stages import StoredEvent
from onestory.pipeline.uow import UnitOfWork

Reader = Annotated[Principal, Depends(require("customers:read"))]
Agent = Annotated[Principal, Depends(require("conversations:write"))]
Admin = Annotated[Principal, Depends(require("admin"))]
# Changing what the models know (new intents, retraining, rollback): ai:manage or admin.
Manager = Annotated[Principal, Depends(require("ai:manage"))]


def _on(enricher: Enricher | None) -> Enricher:
    if enricher is None:
        raise Unavailable("AI enrichment is switched off (ONESTORY_AI__ENABLED=false)")
    return enricher


class IntentCorrection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(
        min_length=1,
        max_length=80,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="An intent of the active model; a new one needs the ai:manage scope",
    )


def _check_label(store: IntentModelStore, label: str, principal: Principal) -> bool:
    """True when ``label`` is a new intent (allowed to taxonomy managers only)."""
    known = taxonomy(store)
    if label in known:
        return False
    if principal.allows("ai:manage"):
        return True
    raise InvalidInput(
        f"{label!r} is not an intent of the active model; adding intents needs ai:manage",
        errors=[field_error("label", "not an intent of the active model", allowed=sorted(known))],
    )


class ModelInfo(BaseModel):
    kind: str
    active: str | None
    versions: list[dict[str, Any]]


def _on_jobs(jobs: RetrainJobs | None) -> RetrainJobs:
    if jobs is None:
        raise Unavailable("AI enrichment is switched off (ONESTORY_AI__ENABLED=false)")
    return jobs


class Rollback(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str = Field(pattern=r"^v\d+$")


def _messages(
    session: Session, customer_id: str, since: datetime | None, limit: int
) -> tuple[list[Event], dict[str, dict[str, Insight]]]:
    root = customers.get_root(session, customer_id)
    ids = customers_repo.group_ids(session, root.id)
    query = select(Event).where(
        Event.customer_id.in_(ids), Event.type.like("message.%"), Event.text.is_not(None)
    )
    if since is not None:
        query = query.where(Event.occurred_at >= since)
    rows = list(session.scalars(query.order_by(Event.occurred_at.desc()).limit(limit)))
    rows.reverse()
    insights: dict[str, dict[str, Insight]] = {}
    if rows:
        for i in session.scalars(select(Insight).where(Insight.event_id.in_([r.id for r in rows]))):
            insights.setdefault(i.event_id, {})[i.kind] = i
    return rows, insights


def _role(e: Event) -> str:
    return role_of(
        StoredEvent(
            e.seq,
            e.id,
            e.type,
            e.source,
            e.channel,
            e.occurred_at,
            e.received_at,
            e.customer_id,
            e.payload,
            e.text,
        )
    )


def build_router(
    enricher: Enricher | None, jobs: RetrainJobs | None, pii_key: bytes | None
) -> APIRouter:
    """The AI routes, bound to this application's models, jobs and personal-data key."""
    router = APIRouter(tags=["ai"])

    @router.post(
        "/events/{event_id}/insights/intent/correction",
        summary="An agent corrects a message's intent; the correction becomes training data",
    )
    async def correct_intent(
        event_id: str, body: IntentCorrection, runtime: RuntimeDep, principal: Agent
    ) -> dict[str, Any]:
        ai = _on(enricher)

        def work(uow: UnitOfWork) -> tuple[str | None, bool]:
            session = uow.session
            event = session.scalar(select(Event).where(Event.id == event_id))
            if event is None:
                raise NotFound(f"no event {event_id}")
            if not event.text:
                raise InvalidInput(
                    "this event has no text to classify",
                    errors=[field_error("event_id", "event has no text")],
                )
            insight = session.scalar(
                select(Insight).where(Insight.event_id == event_id, Insight.kind == "intent")
            )
            before = insight.value.get("label") if insight is not None else None
            new_label = _check_label(ai.intent_store, body.label, principal)
            ai.intent_store.add_correction(
                event.text, body.label, source=actor_of(principal).id, new_label=new_label
            )
            if insight is not None:
                insight.value = {**insight.value, "label": body.label, "corrected": True}
                insight.confidence = 1.0
                insight.explanation = f"corrected by {actor_of(principal).id} (was {before})"
            draft = EventDraft(
                type="insight.corrected",
                customer_id=event.customer_id,
                payload={
                    "event_id": event_id,
                    "kind": "intent",
                    "before": before,
                    "after": body.label,
                    "by": actor_of(principal).id,
                    **({"new_label": True} if new_label else {}),
                },
                occurred_at=runtime.clock.now(),
            )
            uow.record([draft])
            return (before, new_label)

        (before, new_label) = await runtime.work.run(work)
        return {
            "event_id": event_id,
            "before": before,
            "after": body.label,
            "new_label": new_label,
            "status": "recorded",
        }

    @router.get("/ai/models", summary="Model versions per kind, and which one is active")
    def list_models(_: Reader) -> list[ModelInfo]:
        store = _on(enricher).intent_store
        versions = [
            {"version": v.version, "trained_at": v.trained_at, "active": v.active, "meta": v.meta}
            for v in store.list()
        ]
        return [ModelInfo(kind="intent", active=store.active_version(), versions=versions)]

    @router.post(
        "/ai/models/intent/retrain",
        status_code=202,
        summary="Start retraining the intent model (a background job: poll its Location)",
        responses={409: {"description": "A retrain is already queued or running"}},
    )
    async def retrain_intents(principal: Manager) -> Response:
        """Queue a retrain on the active version's training set plus the corrections inside its
        taxonomy (or recorded as new intents). Answers at once with the job; ``GET
        /v1/ai/jobs/{id}`` says queued, running, succeeded (with the new version) or failed."""
        job = await run_in_threadpool(_on_jobs(jobs).submit, actor_of(principal).id)
        location = f"/v1/ai/jobs/{job['id']}"
        return ORJSONResponse(job, status_code=202, headers={"Location": location})

    @router.get("/ai/jobs/{job_id}", summary="The state of a background AI job (a retrain)")
    def get_job(job_id: str, _: Manager) -> dict[str, Any]:
        return _on_jobs(jobs).get(job_id)

    @router.post("/ai/models/intent/rollback", summary="Make an earlier intent model active")
    def rollback_intents(body: Rollback, _: Manager) -> dict[str, Any]:
        ai = _on(enricher)
        try:
            ai.intent_store.rollback(body.version)
        except ModelNotFound as exc:
            raise NotFound(str(exc)) from exc
        ai.reload()
        return {"active": body.version}

    @router.get(
        "/customers/{customer_id}/sentiment",
        summary="The customer's sentiment trajectory over their recent messages",
    )
    def customer_sentiment(
        customer_id: str,
        session: SessionDep,
        _: Reader,
        since: Since = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        rows, insights = _messages(session, customer_id, since, limit)
        points = []
        for e in rows:
            s = insights.get(e.id, {}).get("sentiment")
            if s is None or _role(e) not in CUSTOMER_ROLES:
                continue
            points.append(
                {
                    "event_id": e.id,
                    "at": e.occurred_at.isoformat(),
                    "score": s.value.get("score", 0.0),
                }
            )
        trajectory = sentiment_trajectory([p["score"] for p in points])
        return {"points": points, "trajectory": asdict(trajectory)}

    @router.get(
        "/customers/{customer_id}/conversation-summary",
        summary="Structured summary of the customer's recent messages (LLM narrative if set up)",
    )
    def conversation_summary(
        customer_id: str,
        session: SessionDep,
        runtime: RuntimeDep,
        _: Reader,
        since: Since = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        narrative: bool = False,
    ) -> dict[str, Any]:
        rows, insights = _messages(session, customer_id, since, limit)
        msgs = []
        for e in rows:
            ins = insights.get(e.id, {})
            intent, sentiment = ins.get("intent"), ins.get("sentiment")
            msgs.append(
                SummaryMessage(
                    text=e.text or "",
                    role=_role(e),
                    at=e.occurred_at,
                    intent=intent.value.get("label") if intent else None,
                    intent_confidence=intent.confidence if intent else None,
                    sentiment=sentiment.value.get("label") if sentiment else None,
                    sentiment_score=sentiment.value.get("score") if sentiment else None,
                )
            )
        ai = runtime.settings.ai
        generator = None
        if narrative:
            if not (ai.llm_base_url and ai.llm_model):
                raise Conflict(
                    "no LLM endpoint is configured (ONESTORY_AI__LLM_BASE_URL, __LLM_MODEL)"
                )
            generator = OpenAICompatibleGenerator(
                ai.llm_base_url,
                ai.llm_model,
                api_key=ai.llm_api_key or None,
                timeout=ai.llm_timeout_seconds,
            )
        summary = summarize(msgs, generator=generator, default_region=ai.default_region)
        return {"messages": len(msgs), "summary": summary.to_dict(), "text": summary.to_text()}

    @router.get(
        "/events/{event_id}/original",
        summary="Reveal the encrypted original text of a redacted event (admin; audited)",
    )
    async def reveal_original(
        event_id: str, runtime: RuntimeDep, principal: Admin
    ) -> dict[str, Any]:
        key = pii_key
        if key is None:
            raise Conflict("originals are not kept: the personal-data policy is 'redact'")

        def work(uow: UnitOfWork) -> dict[str, str]:
            session = uow.session
            event = session.scalar(select(Event).where(Event.id == event_id))
            if event is None:
                raise NotFound(f"no event {event_id}")
            fields = reveal(event.payload, key)
            draft = EventDraft(
                type="pii.revealed",
                customer_id=event.customer_id,
                payload={
                    "event_id": event_id,
                    "fields": sorted(fields),
                    "by": actor_of(principal).id,
                },
                occurred_at=runtime.clock.now(),
            )
            uow.record([draft])
            return fields

        fields = await runtime.work.run(work)
        return {"event_id": event_id, "original": fields}

    return router

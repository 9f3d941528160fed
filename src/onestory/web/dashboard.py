"""``GET /v1/dashboard``: the supervisor's live KPIs, computed from the store on each call.

Other domains own the tables read here (conversations, promises, proactive actions), so every
figure is read defensively: a table or column that is not there yet makes that figure ``None``
("not available"), never a failed dashboard and never a made-up number.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import String, column, func, select, table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from onestory.auth.service import Principal
from onestory.db.base import JSONType, UTCDateTime
from onestory.deps import RuntimeDep, SessionDep, require
from onestory.proactive.metrics import outcomes

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["dashboard"])
T = TypeVar("T")


class SentimentPoint(BaseModel):
    hour: datetime
    average: float
    messages: int
    negative: int


class IntentTrend(BaseModel):
    label: str
    last_24h: int
    previous_24h: int
    change: int


class QueueLoad(BaseModel):
    queue: str
    open: int
    waiting: int
    oldest_wait_seconds: float | None


class Dashboard(BaseModel):
    generated_at: datetime
    open_conversations: int | None
    waiting_conversations: int | None
    oldest_wait_seconds: float | None
    sla_wait_minutes: int
    sla_breaches: int | None
    customer_messages_24h: int
    sentiment_trend: list[SentimentPoint]
    intents_trending: list[IntentTrend]
    outcome_window_days: int
    promises_kept: int | None
    promises_broken: int | None
    promises_open: int | None
    promise_kept_rate: float | None
    proactive_outreach: int | None
    # Estimated: reached customers' quiet rate minus a comparison group's, times those reached
    # (None until some outreach is old enough to judge).
    avoided_contacts: float | None
    avoided_reached: int | None
    # Conversations not resolved, per queue (the queue membership editor shows them).
    queues: list[QueueLoad] = []
    unavailable: list[str]


def _guarded(session: Session, name: str, missing: list[str], fn: Callable[[], T]) -> T | None:
    # A savepoint keeps PostgreSQL's transaction usable after a query on a missing table.
    try:
        with session.begin_nested():
            return fn()
    except SQLAlchemyError:
        log.debug("dashboard figure %s unavailable", name, exc_info=True)
        missing.append(name)
        return None


_conversations = table(
    "conversations",
    column("status", String),
    column("queue", String),
    column("waiting_since", UTCDateTime()),
)
_insights = table(
    "insights",
    column("kind", String),
    column("value", JSONType),
    column("created_at", UTCDateTime()),
)
_events = table(
    "events",
    column("type", String),
    column("customer_id", String),
    column("occurred_at", UTCDateTime()),
)
# Promise-kept rate and proactive outcomes are measured over this window.
OUTCOME_WINDOW = timedelta(days=30)


def compute(session: Session, *, now: datetime, sla_minutes: int) -> Dashboard:
    missing: list[str] = []
    c = _conversations.c
    still_open = c.status != "resolved"

    def conv_counts() -> tuple[int, int, datetime | None]:
        row = session.execute(
            select(func.count(), func.count(c.waiting_since), func.min(c.waiting_since)).where(
                still_open
            )
        ).one()
        return int(row[0]), int(row[1]), row[2]

    conv = _guarded(session, "conversations", missing, conv_counts)

    def per_queue() -> list[QueueLoad]:
        rows = session.execute(
            select(c.queue, func.count(), func.count(c.waiting_since), func.min(c.waiting_since))
            .where(still_open)
            .group_by(c.queue)
            .order_by(c.queue)
        )
        return [
            QueueLoad(
                queue=q or "",
                open=int(n),
                waiting=int(w),
                oldest_wait_seconds=(now - oldest).total_seconds() if oldest else None,
            )
            for q, n, w, oldest in rows
        ]

    queues = _guarded(session, "queues", missing, per_queue)
    breaches = _guarded(
        session,
        "sla_breaches",
        missing,
        lambda: int(
            session.execute(
                select(func.count()).where(
                    still_open,
                    c.waiting_since.is_not(None),
                    c.waiting_since < now - timedelta(minutes=sla_minutes),
                )
            ).scalar_one()
        ),
    )

    since = now - timedelta(hours=24)
    i = _insights.c
    rows = session.execute(
        select(i.created_at, i.value)
        .where(i.kind == "sentiment", i.created_at >= since)
        .order_by(i.created_at.desc())
        .limit(20000)
    ).all()
    buckets: dict[datetime, list[float]] = defaultdict(list)
    for created, value in rows:
        score = _score(value)
        if score is not None and created is not None:
            buckets[created.replace(minute=0, second=0, microsecond=0)].append(score)
    trend = [
        SentimentPoint(
            hour=h,
            average=round(sum(v) / len(v), 3),
            messages=len(v),
            negative=sum(1 for s in v if s < -0.2),
        )
        for h, v in sorted(buckets.items())
    ]

    intent_rows = session.execute(
        select(i.created_at, i.value)
        .where(i.kind == "intent", i.created_at >= now - timedelta(hours=48))
        .order_by(i.created_at.desc())
        .limit(40000)
    ).all()
    last: Counter[str] = Counter()
    prev: Counter[str] = Counter()
    for created, value in intent_rows:
        label = value.get("label") if isinstance(value, dict) else None
        if isinstance(label, str) and created is not None:
            (last if created >= since else prev)[label] += 1
    intents = sorted(
        (
            IntentTrend(label=k, last_24h=last[k], previous_24h=prev[k], change=last[k] - prev[k])
            for k in set(last) | set(prev)
        ),
        key=lambda t: (-t.last_24h, -t.change, t.label),
    )[:8]

    e = _events.c
    messages = int(
        session.execute(
            select(func.count()).where(e.type == "message.received", e.occurred_at >= since)
        ).scalar_one()
    )

    # Promise keeping and proactive outcomes come from the proactive domain's own metrics, so
    # the dashboard and GET /v1/metrics/outcomes never disagree.
    result = _guarded(
        session,
        "outcomes",
        missing,
        lambda: outcomes(session, since=now - OUTCOME_WINDOW, now=now),
    )
    promises = result["promises"] if result else {}
    contacts = result["proactive_contacts"] if result else {}
    avoided = result["inbound_avoided"] if result else {}

    return Dashboard(
        generated_at=now,
        open_conversations=conv[0] if conv else None,
        waiting_conversations=conv[1] if conv else None,
        oldest_wait_seconds=(now - conv[2]).total_seconds() if conv and conv[2] else None,
        sla_wait_minutes=sla_minutes,
        sla_breaches=breaches,
        customer_messages_24h=messages,
        sentiment_trend=trend,
        intents_trending=intents,
        outcome_window_days=OUTCOME_WINDOW.days,
        promises_kept=promises.get("kept"),
        promises_broken=promises.get("broken"),
        promises_open=promises.get("open"),
        promise_kept_rate=promises.get("kept_rate"),
        proactive_outreach=contacts.get("messages"),
        avoided_contacts=avoided.get("estimated_contacts_avoided"),
        avoided_reached=avoided.get("reached"),
        queues=queues or [],
        unavailable=missing,
    )


def _score(value: Any) -> float | None:
    if isinstance(value, dict):
        score = value.get("score")
        if isinstance(score, int | float):
            return float(score)
    return None


@router.get("/dashboard", response_model=Dashboard, summary="Supervisor KPIs, live from the store")
def get_dashboard(
    session: SessionDep,
    runtime: RuntimeDep,
    _: Annotated[Principal, Depends(require("dashboard:read"))],
) -> Dashboard:
    return compute(
        session, now=runtime.clock.now(), sla_minutes=runtime.settings.web.sla_wait_minutes
    )

"""Signal detection (detect stage): trouble spotted early, with evidence and a severity.

Each detection is a ``signals`` row and a ``signal.detected`` story event. ``occurrence_key``
names the occurrence (this invoice's failed attempt, this broken promise, this customer's
repeat contact about this intent today), so a replayed event or a duplicate report of the same
occurrence never raises the signal twice.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onestory.customers import repository as customers_repo
from onestory.events import repository as events_repo
from onestory.events.service import EventDraft
from onestory.kit.ids import new_id
from onestory.models import Customer, Event, Insight, Signal
from onestory.pipeline.stages import StageContext, StoredEvent
from onestory.proactive.settings import ProactiveSettings

SIGNAL_KINDS = (
    "payment_failed",
    "payment_failed_repeated",
    "usage_anomaly",
    "error_anomaly",
    "repeat_contact",
    "frustration",
    "promise_broken",
    "delivery_delay",
    "churn_risk",
)
SEVERITIES = ("low", "medium", "high")

BASELINE_MIN = 5
BASELINE_MAX = 30
BASELINE_DAYS = timedelta(days=60)
METRIC_TYPES = ("usage.reported", "app.session")
ANOMALY_Z = 3.0
REPEAT_WINDOW = timedelta(days=14)
FRUSTRATION_RUN = 3
# Intents too generic to call a repeat contact "the same problem".
GENERIC_INTENTS = ("other", "greeting", "thanks", "unknown", "smalltalk")


@dataclass
class Detection:
    kind: str
    severity: str
    key: str
    evidence: dict[str, Any]


def _group(session: Session, cache: dict[str, list[str]], cid: str) -> list[str]:
    if cid not in cache:
        cache[cid] = customers_repo.group_ids(session, cid)
    return cache[cid]


def _history(
    session: Session, ids: list[str], type_: str, before: datetime, since: datetime, limit: int
) -> list[Event]:
    return list(
        session.scalars(
            select(Event)
            .where(
                Event.customer_id.in_(ids),
                Event.type == type_,
                Event.occurred_at < before,
                Event.occurred_at >= since,
            )
            .order_by(Event.occurred_at.desc())
            .limit(limit)
        )
    )


def _anomaly(value: float, baseline: list[float]) -> float | None:
    """How many spreads ``value`` is from the customer's own baseline (None: too little history)."""
    if len(baseline) < BASELINE_MIN:
        return None
    mean = statistics.fmean(baseline)
    spread = max(statistics.pstdev(baseline), 0.1 * abs(mean), 1e-6)
    return (value - mean) / spread


def detect(
    session: Session,
    e: StoredEvent,
    insights: dict[str, list[Insight]],
    groups: dict[str, list[str]],
    *,
    churn_threshold: float,
    metrics: dict[str, list[tuple[str, datetime, dict[str, Any]]]] | None = None,
) -> list[Detection]:
    """The signals one event raises (pure reads; nothing written)."""
    assert e.customer_id is not None
    cid = e.customer_id
    p = e.payload
    out: list[Detection] = []
    if e.type == "payment.failed":
        ids = _group(session, groups, cid)
        earlier = _history(
            session, ids, "payment.failed", e.occurred_at, e.occurred_at - timedelta(days=30), 20
        )
        failures = len(earlier) + 1
        ref = p.get("invoice_id") or e.id
        kind = "payment_failed_repeated" if failures >= 2 else "payment_failed"
        out.append(
            Detection(
                kind,
                "high" if failures >= 2 else "medium",
                f"payment_failed:{cid}:{ref}:{p.get('attempt') or ''}",
                {
                    "event_id": e.id,
                    "invoice_id": p.get("invoice_id"),
                    "amount": p.get("amount"),
                    "currency": p.get("currency"),
                    "reason": p.get("reason"),
                    "failures_30d": failures,
                    "earlier_event_ids": [x.id for x in earlier[:5]],
                },
            )
        )
    elif e.type in ("usage.reported", "app.session"):
        metric = str(p.get("metric")) if e.type == "usage.reported" else "app_errors"
        field = "value" if e.type == "usage.reported" else "errors"
        raw = p.get(field)
        # Errors only matter going up (none now cannot be a spike); usage matters both ways
        # (a drop is disengagement).
        if isinstance(raw, int | float) and (e.type == "usage.reported" or raw > 0):
            base = [
                float(h_payload[field])
                for h_type, h_at, h_payload in (metrics or {}).get(cid, [])
                if h_type == e.type
                and h_at < e.occurred_at
                and h_at >= e.occurred_at - BASELINE_DAYS
                and isinstance(h_payload.get(field), int | float)
                and (e.type != "usage.reported" or str(h_payload.get("metric")) == metric)
            ][:BASELINE_MAX]
            z = _anomaly(float(raw), base)
            if z is not None and (
                z >= ANOMALY_Z or (e.type == "usage.reported" and z <= -ANOMALY_Z)
            ):
                out.append(
                    Detection(
                        "error_anomaly" if e.type == "app.session" else "usage_anomaly",
                        "high" if abs(z) >= 2 * ANOMALY_Z else "medium",
                        f"anomaly:{e.id}",
                        {
                            "event_id": e.id,
                            "metric": metric,
                            "value": raw,
                            "baseline_mean": round(statistics.fmean(base), 4),
                            "baseline_n": len(base),
                            "z": round(z, 2),
                            "direction": "up" if z > 0 else "down",
                        },
                    )
                )
    elif e.type == "message.received":
        out.extend(_from_message(session, e, insights, groups))
    elif e.type == "promise.broken":
        out.append(
            Detection(
                "promise_broken",
                "high",
                f"promise_broken:{p.get('promise_id') or e.id}",
                {
                    "event_id": e.id,
                    "promise_id": p.get("promise_id"),
                    "what": p.get("what"),
                    "kind": p.get("kind"),
                    "due_by": p.get("due_by"),
                    "case_id": p.get("case_id"),
                    "task_id": p.get("task_id"),
                    "reason": (p.get("evidence") or {}).get("reason"),
                },
            )
        )
    elif e.type == "delivery.delayed":
        days = p.get("delay_days")
        out.append(
            Detection(
                "delivery_delay",
                "high" if isinstance(days, int) and days >= 3 else "medium",
                f"delivery_delay:{cid}:{p.get('order_id')}:{days}",
                {
                    "event_id": e.id,
                    "order_id": p.get("order_id"),
                    "delay_days": days,
                    "carrier": p.get("carrier"),
                    "expected_at": p.get("expected_at"),
                },
            )
        )
    elif e.type == "churn.scored":
        score = p.get("score")
        if isinstance(score, int | float) and score >= churn_threshold:
            week = e.occurred_at.isocalendar()
            out.append(
                Detection(
                    "churn_risk",
                    "high" if score >= (1 + churn_threshold) / 2 else "medium",
                    f"churn_risk:{cid}:{week.year}-W{week.week}",
                    {
                        "event_id": e.id,
                        "score": score,
                        "threshold": churn_threshold,
                        "drivers": p.get("drivers", []),
                        "model": p.get("model"),
                    },
                )
            )
    return out


def _from_message(
    session: Session,
    e: StoredEvent,
    insights: dict[str, list[Insight]],
    groups: dict[str, list[str]],
) -> list[Detection]:
    assert e.customer_id is not None
    if e.payload.get("author", "customer") != "customer":
        return []
    mine = {i.kind: i.value for i in insights.get(e.id, [])}
    out: list[Detection] = []
    ids = _group(session, groups, e.customer_id)
    day = e.occurred_at.date().isoformat()
    intent = mine.get("intent") if isinstance(mine.get("intent"), dict) else None
    label = intent.get("label") if intent else None
    if isinstance(label, str) and label not in GENERIC_INTENTS and not intent.get("out_of_scope"):  # type: ignore[union-attr]
        earlier = session.execute(
            select(Event.id, Event.channel, Event.occurred_at, Insight.value)
            .join(Insight, Insight.event_id == Event.id)
            .where(
                Event.customer_id.in_(ids),
                Event.type == "message.received",
                Event.occurred_at < e.occurred_at,
                Event.occurred_at >= e.occurred_at - REPEAT_WINDOW,
                Insight.kind == "intent",
            )
            .order_by(Event.occurred_at.desc())
            .limit(50)
        ).all()
        same = [r for r in earlier if isinstance(r[3], dict) and r[3].get("label") == label]
        if same:
            out.append(
                Detection(
                    "repeat_contact",
                    "high" if len(same) >= 2 else "medium",
                    f"repeat_contact:{e.customer_id}:{label}:{day}",
                    {
                        "event_id": e.id,
                        "intent": label,
                        "contacts_14d": len(same) + 1,
                        "earlier": [
                            {"event_id": r[0], "channel": r[1], "at": r[2].isoformat()}
                            for r in same[:5]
                        ],
                    },
                )
            )
    sentiment = mine.get("sentiment")
    if isinstance(sentiment, dict) and sentiment.get("label") == "negative":
        rows = session.execute(
            select(Event.id, Insight.value, Insight.kind)
            .join(Insight, Insight.event_id == Event.id)
            .where(
                Event.customer_id.in_(ids),
                Event.type == "message.received",
                Event.occurred_at <= e.occurred_at,
                Insight.kind.in_(("sentiment", "effort")),
            )
            .order_by(Event.occurred_at.desc())
            .limit(4 * FRUSTRATION_RUN)
        ).all()
        sentiments = [r for r in rows if r[2] == "sentiment"][:FRUSTRATION_RUN]
        efforts = [r[1] for r in rows if r[2] == "effort" and isinstance(r[1], dict)]
        negative = [
            r for r in sentiments if isinstance(r[1], dict) and r[1].get("label") == "negative"
        ]
        high_effort = any(x.get("level") == "high" for x in efforts[:FRUSTRATION_RUN])
        if len(negative) >= FRUSTRATION_RUN or (len(negative) >= 2 and high_effort):
            scores = [r[1].get("score") for r in negative]
            out.append(
                Detection(
                    "frustration",
                    "high" if high_effort else "medium",
                    f"frustration:{e.customer_id}:{day}",
                    {
                        "event_id": e.id,
                        "negative_messages": [r[0] for r in negative],
                        "scores": scores,
                        "high_effort": high_effort,
                    },
                )
            )
    return out


def _groups(session: Session, cids: set[str | None]) -> dict[str, list[str]]:
    """Each root customer with the customers merged into it, in one query for the batch."""
    roots = sorted(c for c in cids if c)
    out: dict[str, list[str]] = {c: [c] for c in roots}
    for i in range(0, len(roots), 900):
        for cid, root in session.execute(
            select(Customer.id, Customer.merged_into).where(
                Customer.merged_into.in_(roots[i : i + 900])
            )
        ):
            if root:
                out[root].append(cid)
    return out


def _metric_history(
    session: Session, events: list[StoredEvent], groups: dict[str, list[str]]
) -> dict[str, list[tuple[str, datetime, dict[str, Any]]]]:
    """Usage and session history of the batch's customers (newest first), in one query: a
    baseline per event would be a query per event on the hottest event types."""
    if not events:
        return {}
    root_of = {m: root for root, members in groups.items() for m in members}
    ids = sorted({m for e in events if e.customer_id for m in groups.get(e.customer_id, [])})
    since = min(e.occurred_at for e in events) - BASELINE_DAYS
    until = max(e.occurred_at for e in events)
    out: dict[str, list[tuple[str, datetime, dict[str, Any]]]] = {}
    for i in range(0, len(ids), 900):
        rows = session.execute(
            select(Event.customer_id, Event.type, Event.occurred_at, Event.payload)
            .where(
                Event.customer_id.in_(ids[i : i + 900]),
                Event.type.in_(METRIC_TYPES),
                Event.occurred_at >= since,
                Event.occurred_at < until,
            )
            .order_by(Event.occurred_at.desc())
        )
        for cid, type_, at, payload in rows:
            out.setdefault(root_of.get(cid, cid), []).append((type_, at, payload or {}))
    for hist in out.values():
        hist.sort(key=lambda h: h[1], reverse=True)
    return out


class Signals:
    """The detect-stage handler, bound to the proactive settings."""

    def __init__(self, settings: ProactiveSettings) -> None:
        self.settings = settings

    def detect(self, session: Session, events: list[StoredEvent], ctx: StageContext) -> None:
        signals_detected(session, events, ctx, self.settings)


def signals_detected(
    session: Session, events: list[StoredEvent], ctx: StageContext, settings: ProactiveSettings
) -> None:
    """Record each new signal occurrence and its story event."""
    relevant = [e for e in events if e.customer_id and e.type in _TYPES and _can_raise(e)]
    if not relevant:
        return
    insights = events_repo.insights_for(
        session, [e.id for e in relevant if e.type == "message.received"]
    )
    groups = _groups(session, {e.customer_id for e in relevant if e.customer_id})
    metrics = _metric_history(session, [e for e in relevant if e.type in METRIC_TYPES], groups)
    found: list[tuple[StoredEvent, Detection]] = [
        (e, d)
        for e in relevant
        for d in detect(
            session,
            e,
            insights,
            groups,
            churn_threshold=settings.churn_threshold,
            metrics=metrics,
        )
    ]
    if not found:
        return
    keys = [d.key for _e, d in found]
    existing = set(
        session.scalars(select(Signal.occurrence_key).where(Signal.occurrence_key.in_(keys)))
    )
    for e, d in found:
        if d.key in existing:
            continue
        existing.add(d.key)
        assert e.customer_id is not None
        sig = Signal(
            id=new_id("sig"),
            customer_id=e.customer_id,
            kind=d.kind,
            severity=d.severity,
            occurrence_key=d.key,
            source_event_id=e.id,
            evidence=d.evidence,
            detected_at=e.occurred_at,
        )
        session.add(sig)
        ctx.emit(
            EventDraft(
                type="signal.detected",
                customer_id=e.customer_id,
                payload={
                    "signal_id": sig.id,
                    "kind": d.kind,
                    "severity": d.severity,
                    "evidence": d.evidence,
                },
                occurred_at=e.occurred_at,
                idempotency_key=f"signal:{d.key}",
            )
        )
    session.flush()


def urgent_types() -> tuple[str, ...]:
    """The event types that raise signals, less the high-volume telemetry (usage reports and
    app sessions, whose anomalies are measured against weeks of baseline): the pipeline runs
    these first when it is behind."""
    return tuple(t for t in _TYPES if t not in METRIC_TYPES)


def _can_raise(e: StoredEvent) -> bool:
    # Most app sessions have no errors, and no errors cannot be a spike: skip their baseline.
    if e.type == "app.session":
        errors = e.payload.get("errors")
        return isinstance(errors, int | float) and errors > 0
    return True


# The event types signals are raised on (a signal's ``source_event_id`` is one of these).
SOURCE_TYPES = _TYPES = (
    "payment.failed",
    "usage.reported",
    "app.session",
    "message.received",
    "promise.broken",
    "delivery.delayed",
    "churn.scored",
)

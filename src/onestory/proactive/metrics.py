"""Outcome metrics: are promises kept, and does proactive contact spare customers the call?"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onestory.cases.models import Promise
from onestory.models import Event, Signal
from onestory.proactive.guardrails import INBOUND_TYPES
from onestory.proactive.models import ProactiveAction

AVOID_WINDOW = timedelta(days=7)
SAVE_WINDOW = timedelta(days=30)
CHURN_TYPES = ("subscription.cancelled", "customer.churned", "plan.cancelled", "account.closed")


def _quiet_after(
    session: Session, cid: str, at: datetime, window: timedelta, types: tuple[str, ...]
) -> bool:
    found = session.scalar(
        select(Event.id)
        .where(
            Event.customer_id == cid,
            Event.type.in_(types),
            Event.occurred_at > at,
            Event.occurred_at <= at + window,
        )
        .limit(1)
    )
    return found is None


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def outcomes(session: Session, *, since: datetime, now: datetime) -> dict[str, Any]:
    kept = int(
        session.scalar(
            select(func.count())
            .select_from(Promise)
            .where(Promise.status == "kept", Promise.resolved_at >= since)
        )
        or 0
    )
    broken = int(
        session.scalar(
            select(func.count())
            .select_from(Promise)
            .where(Promise.status == "broken", Promise.resolved_at >= since)
        )
        or 0
    )
    open_ = int(
        session.scalar(select(func.count()).select_from(Promise).where(Promise.status == "open"))
        or 0
    )
    sent = list(
        session.execute(
            select(
                ProactiveAction.customer_id,
                ProactiveAction.created_at,
                ProactiveAction.signal_id,
                ProactiveAction.signal_kind,
            )
            .where(
                ProactiveAction.action == "message",
                ProactiveAction.status == "done",
                ProactiveAction.created_at >= since,
            )
            .order_by(ProactiveAction.created_at)
        )
    )
    reached_signals = {r[2] for r in sent if r[2]}
    # Avoided inbound contacts: customers reached proactively whose 7-day window has passed,
    # against customers with a signal in the same period who were not reached (no playbook,
    # or a guardrail held).
    first_contact: dict[str, datetime] = {}
    for cid, at, _sid, _kind in sent:
        first_contact.setdefault(cid, at)
    matured = {c: t for c, t in first_contact.items() if t + AVOID_WINDOW <= now}
    reached_quiet = sum(
        _quiet_after(session, c, t, AVOID_WINDOW, INBOUND_TYPES) for c, t in matured.items()
    )
    control: dict[str, datetime] = {}
    for sid, cid, at in session.execute(
        select(Signal.id, Signal.customer_id, Signal.detected_at)
        .where(Signal.detected_at >= since, Signal.detected_at <= now - AVOID_WINDOW)
        .order_by(Signal.detected_at)
    ):
        if sid not in reached_signals and cid not in first_contact:
            control.setdefault(cid, at)
    control_quiet = sum(
        _quiet_after(session, c, t, AVOID_WINDOW, INBOUND_TYPES) for c, t in control.items()
    )
    r_rate, c_rate = _rate(reached_quiet, len(matured)), _rate(control_quiet, len(control))
    avoided = (
        round((r_rate - c_rate) * len(matured), 2)
        if r_rate is not None and c_rate is not None
        else None
    )
    churn_reached: dict[str, datetime] = {}
    for cid, at, _sid, kind in sent:
        if kind == "churn_risk":
            churn_reached.setdefault(cid, at)
    churn_matured = {c: t for c, t in churn_reached.items() if t + SAVE_WINDOW <= now}
    saves = sum(
        _quiet_after(session, c, t, SAVE_WINDOW, CHURN_TYPES) for c, t in churn_matured.items()
    )
    return {
        "since": since.isoformat(),
        "until": now.isoformat(),
        "promises": {
            "kept": kept,
            "broken": broken,
            "open": open_,
            "kept_rate": _rate(kept, kept + broken),
        },
        "proactive_contacts": {"messages": len(sent), "customers": len(first_contact)},
        "inbound_avoided": {
            "window_days": AVOID_WINDOW.days,
            "reached": len(matured),
            "reached_without_inbound": reached_quiet,
            "reached_rate": r_rate,
            "comparison": len(control),
            "comparison_without_inbound": control_quiet,
            "comparison_rate": c_rate,
            "estimated_contacts_avoided": avoided,
        },
        "churn_saves": {
            "window_days": SAVE_WINDOW.days,
            "reached": len(churn_matured),
            "saved": saves,
            "save_rate": _rate(saves, len(churn_matured)),
        },
    }

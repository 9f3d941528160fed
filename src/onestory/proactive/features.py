"""Churn features of the store's own customers, read from their stories."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onestory.cases.models import Promise
from onestory.customers import repository as customers_repo
from onestory.models import Customer, Event, Insight, Signal
from onestory.proactive.churn_features import ChurnFeatures
from onestory.proactive.guardrails import INBOUND_TYPES
from onestory.proactive.metrics import CHURN_TYPES


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(stmt) or 0)


def customer_features(session: Session, cust: Customer, now: datetime) -> ChurnFeatures:
    ids = customers_repo.group_ids(session, cust.id)
    traits = cust.traits or {}

    def events(types: tuple[str, ...], days: int) -> Any:
        return (
            select(func.count())
            .select_from(Event)
            .where(
                Event.customer_id.in_(ids),
                Event.type.in_(types),
                Event.occurred_at >= now - timedelta(days=days),
                Event.occurred_at <= now,
            )
        )

    sentiments = list(
        session.scalars(
            select(Insight.value)
            .where(Insight.customer_id.in_(ids), Insight.kind == "sentiment")
            .order_by(Insight.created_at.desc())
            .limit(50)
        )
    )
    labels = [s.get("label") for s in sentiments if isinstance(s, dict)]
    nps = session.scalar(
        select(Event.payload)
        .where(Event.customer_id.in_(ids), Event.type == "survey.answered")
        .order_by(Event.occurred_at.desc())
        .limit(1)
    )
    plan = traits.get("plan")
    return ChurnFeatures(
        tenure_days=(now - cust.first_seen).days if cust.first_seen else None,
        plan=str(plan) if plan else None,
        monthly_charges=traits.get("monthly_charges"),
        payments_failed_90d=_count(session, events(("payment.failed",), 90)),
        payment_method=traits.get("payment_method"),
        contract=traits.get("contract"),
        app_errors_30d=_count(
            session,
            select(func.count())
            .select_from(Signal)
            .where(Signal.customer_id == cust.id, Signal.kind == "error_anomaly"),
        ),
        contacts_30d=_count(session, events(INBOUND_TYPES, 30)),
        repeat_contacts_30d=_count(
            session,
            select(func.count())
            .select_from(Signal)
            .where(
                Signal.customer_id == cust.id,
                Signal.kind == "repeat_contact",
                Signal.detected_at >= now - timedelta(days=30),
            ),
        ),
        negative_sentiment_ratio=(labels.count("negative") / len(labels)) if labels else None,
        broken_promises_90d=_count(
            session,
            select(func.count())
            .select_from(Promise)
            .where(
                Promise.customer_id.in_(ids),
                Promise.status == "broken",
                Promise.due_by >= now - timedelta(days=90),
            ),
        ),
        nps_last=int(nps["score"])
        if isinstance(nps, dict)
        and isinstance(nps.get("score"), int | float)
        and nps.get("survey") == "nps"
        else None,
    )


def store_training_set(
    session: Session, now: datetime, *, limit: int = 100_000
) -> tuple[list[str], list[ChurnFeatures], list[int]]:
    """Every (unmerged) customer's features and whether they churned."""
    churned = set(
        session.scalars(select(Event.customer_id).where(Event.type.in_(CHURN_TYPES)).distinct())
    )
    ids: list[str] = []
    rows: list[ChurnFeatures] = []
    labels: list[int] = []
    for cust in session.scalars(
        select(Customer).where(Customer.merged_into.is_(None)).limit(limit)
    ):
        ids.append(cust.id)
        rows.append(customer_features(session, cust, now))
        labels.append(1 if cust.id in churned else 0)
    return ids, rows, labels

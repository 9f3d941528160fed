"""Replay history through playbooks without acting: whom each would have contacted and why."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onestory.models import Event, Signal
from onestory.proactive import guardrails
from onestory.proactive.engine import Trigger, _values, pick_template
from onestory.proactive.playbooks import PlaybookSpec, render, specs
from onestory.proactive.settings import ProactiveSettings


def simulate(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    settings: ProactiveSettings,
    names: list[str] | None = None,
    extra: list[PlaybookSpec] | None = None,
    limit: int = 100_000,
) -> dict[str, Any]:
    """Every stored playbook (enabled or not; ``names`` to choose, ``extra`` to try unsaved
    ones) against the signals and events between ``since`` and ``until``, applying the
    guardrails as they would have applied at the time. Writes nothing."""
    books = [pb for pb, _on in specs(session, enabled_only=False)]
    enabled = {pb.name: on for pb, on in specs(session, enabled_only=False)}
    for pb in extra or []:
        books = [b for b in books if b.name != pb.name] + [pb]
        enabled.setdefault(pb.name, pb.enabled)
    if names:
        books = [b for b in books if b.name in names]
    trigs: list[Trigger] = [
        Trigger(s.id, s.customer_id, s.source_event_id, "signal.detected", s.detected_at, s)
        for s in session.scalars(
            select(Signal)
            .where(Signal.detected_at >= since, Signal.detected_at < until)
            .order_by(Signal.detected_at)
            .limit(limit)
        )
    ]
    types = {t for pb in books for t in pb.when.events}
    if types:
        for e in session.scalars(
            select(Event)
            .where(
                Event.type.in_(types),
                Event.occurred_at >= since,
                Event.occurred_at < until,
                Event.customer_id.is_not(None),
            )
            .limit(limit)
        ):
            assert e.customer_id is not None
            trigs.append(Trigger(e.id, e.customer_id, e.id, e.type, e.occurred_at, None))
    trigs.sort(key=lambda t: t.at)

    audiences: dict[str, guardrails.Audience] = {}
    contacts: dict[str, list[datetime]] = defaultdict(list)
    contacted: set[str] = set()
    items: list[dict[str, Any]] = []
    per_book: dict[str, dict[str, Any]] = {
        pb.name: {
            "enabled": enabled.get(pb.name, False),
            "version": pb.version,
            "triggers": 0,
            "would_contact": 0,
            "customers": set(),
            "suppressed": defaultdict(int),
            "other_actions": defaultdict(int),
        }
        for pb in books
    }
    for trig in trigs:
        sig = trig.signal
        for pb in books:
            if not pb.matches(
                signal_kind=sig.kind if sig else None,
                severity=sig.severity if sig else None,
                event_type=trig.event_type,
            ):
                continue
            stats = per_book[pb.name]
            stats["triggers"] += 1
            if trig.customer_id not in audiences:
                audiences[trig.customer_id] = guardrails.audience(
                    session, trig.customer_id, settings
                )
            aud = audiences[trig.customer_id]
            for act in pb.actions:
                if act.type != "message":
                    stats["other_actions"][act.type] += 1
                    continue
                cap = settings.weekly_contact_cap
                if pb.guardrails.weekly_cap is not None:
                    cap = min(cap, pb.guardrails.weekly_cap)
                week = [t for t in contacts[trig.customer_id] if t > trig.at - timedelta(days=7)]
                d = guardrails.check_contact(
                    aud,
                    purpose=pb.purpose,
                    channels=act.channels,
                    quiet_hours=pb.guardrails.quiet_hours,
                    cap=cap,
                    sent_this_week=len(week),
                    already_for_signal=trig.id in contacted,
                    now=trig.at,
                    settings=settings,
                )
                item: dict[str, Any] = {
                    "playbook": pb.name,
                    "customer_id": trig.customer_id,
                    "customer_name": aud.name,
                    "at": trig.at.isoformat(),
                    "signal_id": sig.id if sig else None,
                    "signal_kind": sig.kind if sig else None,
                    "severity": sig.severity if sig else None,
                    "event_id": trig.event_id,
                    "would_contact": d.allowed,
                    "reason": d.reason,
                    "channel": d.channel,
                    "evidence": trig.evidence,
                }
                if d.allowed:
                    lang, template = pick_template(act.templates, aud.language)
                    item.update(language=lang, text=render(template, _values(aud, trig)))
                    contacts[trig.customer_id].append(trig.at)
                    contacted.add(trig.id)
                    stats["would_contact"] += 1
                    stats["customers"].add(trig.customer_id)
                else:
                    stats["suppressed"][d.reason] += 1
                items.append(item)
    summary = {
        name: {
            **s,
            "customers": len(s["customers"]),
            "suppressed": dict(s["suppressed"]),
            "other_actions": dict(s["other_actions"]),
        }
        for name, s in per_book.items()
    }
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "playbooks": summary,
        "items": items,
    }


def parse_since(value: str) -> timedelta:
    """``30d``, ``12h``, ``90m`` or a number of days."""
    value = value.strip().lower()
    units = {"d": "days", "h": "hours", "m": "minutes", "w": "weeks"}
    try:
        if value and value[-1] in units:
            return timedelta(**{units[value[-1]]: float(value[:-1])})
        return timedelta(days=float(value))
    except ValueError as exc:
        raise ValueError(f"cannot read {value!r} as a duration (try 30d, 12h)") from exc

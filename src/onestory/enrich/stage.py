"""The enrich pipeline stage: insights for every text-bearing event.

Messages, call transcripts, survey comments, social posts and reviews all carry text (the
``text`` column, already redacted at ingest). For each, the stage stores one insight row per
kind (language, intent, sentiment, emotion, effort, entities, personal data, promises) with the
model and version that produced it. Re-running the stage on the same events replaces their
rows, so it is idempotent.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, select
from sqlalchemy.orm import Session

from onestory.ai.extract.effort import ContactContext
from onestory.ai.extract.message import EXTRACTOR_NAME, EXTRACTOR_VERSION
from onestory.ai.redaction import REDACTION_KEY
from onestory.enrich.engine import CUSTOMER_ROLES, Enricher, EnrichItem, InsightRow
from onestory.models import Customer, Event, Insight
from onestory.pipeline.stages import StageContext, StoredEvent

CONTACT_WINDOW = timedelta(days=7)


def role_of(event: StoredEvent) -> str:
    """Who wrote the event's text: the message author, else the customer (surveys, reviews,
    social posts, call transcripts)."""
    author = event.payload.get("author") if event.type.startswith("message.") else None
    return author if isinstance(author, str) and author else "customer"


def _timezones(session: Session, customer_ids: set[str]) -> dict[str, str]:
    if not customer_ids:
        return {}
    out: dict[str, str] = {}
    for cid, traits in session.execute(
        select(Customer.id, Customer.traits).where(Customer.id.in_(customer_ids))
    ):
        tz = (traits or {}).get("timezone")
        if isinstance(tz, str) and tz:
            out[cid] = tz
    return out


def _recent_contacts(
    session: Session, events: list[StoredEvent]
) -> dict[str, list[tuple[str, str | None, Any, str | None]]]:
    """Each customer's inbound messages in the contact window before the batch's events:
    (event id, channel, occurred_at, intent label)."""
    inbound = [e for e in events if e.customer_id and role_of(e) in CUSTOMER_ROLES]
    if not inbound:
        return {}
    cids = {e.customer_id for e in inbound if e.customer_id}
    since = min(e.occurred_at for e in inbound) - CONTACT_WINDOW
    rows = session.execute(
        select(Event.id, Event.customer_id, Event.channel, Event.occurred_at, Insight.value)
        .outerjoin(Insight, and_(Insight.event_id == Event.id, Insight.kind == "intent"))
        .where(
            Event.customer_id.in_(cids),
            Event.type == "message.received",
            Event.occurred_at >= since,
        )
    )
    out: dict[str, list[tuple[str, str | None, Any, str | None]]] = defaultdict(list)
    for eid, cid, channel, at, value in rows:
        label = value.get("label") if isinstance(value, dict) else None
        out[cid].append((eid, channel, at, label))
    return out


def _context(
    event: StoredEvent,
    history: list[tuple[str, str | None, Any, str | None]],
    intent: str | None,
) -> ContactContext:
    """Contacts about the same problem: inbound messages with the same intent in the window,
    counted once per channel and day; channel switches: other channels used for it."""
    if not intent or intent in {"unknown", "out_of_scope", "greeting", "thanks_goodbye"}:
        return ContactContext()
    start = event.occurred_at - CONTACT_WINDOW
    contacts = {(event.channel, event.occurred_at.date())}
    for eid, channel, at, label in history:
        if eid != event.id and label == intent and start <= at <= event.occurred_at:
            contacts.add((channel, at.date()))
    channels = {c for c, _ in contacts}
    return ContactContext(
        contacts_same_problem=len(contacts),
        window_days=CONTACT_WINDOW.days,
        channel_switches=max(0, len(channels) - 1),
    )


def _compute(
    session: Session, events: list[StoredEvent], enricher: Enricher
) -> dict[str, list[InsightRow]]:
    """Insight rows for each text-bearing event (reads the store, writes nothing)."""
    todo = [e for e in events if e.text and e.text.strip()]
    if not todo:
        return {}
    tzs = _timezones(session, {e.customer_id for e in todo if e.customer_id})
    history = _recent_contacts(session, todo)
    default_tz = enricher.settings.default_timezone
    by_id = {e.id: e for e in todo}
    items = [
        EnrichItem(
            e.id,
            e.text or "",
            role_of(e),
            e.occurred_at,
            tzs.get(e.customer_id or "", default_tz),
        )
        for e in todo
    ]

    def context_for(item: EnrichItem, intent: str | None) -> ContactContext:
        # The effort score needs the intent (same problem?), so it is asked for per item.
        event = by_id[item.event_id]
        return _context(event, history.get(event.customer_id or "", []), intent)

    results = enricher.enrich(items, context_for=context_for)
    out: dict[str, list[InsightRow]] = {}
    for event, found in zip(todo, results, strict=True):
        pii = _pii_row(event)
        out[event.id] = [*found, pii] if pii is not None else list(found)
    return out


class EnrichStage:
    """The enrich stage, bound to the application's models: ``prepare`` runs them in a read
    transaction before the stage takes the write lock, ``write`` stores the insight rows."""

    def __init__(self, enricher: Enricher) -> None:
        self.enricher = enricher

    def prepare(self, session: Session, events: list[StoredEvent], ctx: StageContext) -> None:
        ctx.prepared["enrich"] = _compute(session, events, self.enricher)

    def write(self, session: Session, events: list[StoredEvent], ctx: StageContext) -> None:
        """Store the insight rows (computed by the preparer, or here for any it did not see)."""
        enrich_events(session, events, ctx, self.enricher)


def enrich_events(
    session: Session, events: list[StoredEvent], ctx: StageContext, enricher: Enricher
) -> None:
    todo = [e for e in events if e.text and e.text.strip()]
    if not todo:
        return
    computed: dict[str, list[InsightRow]] = dict(ctx.prepared.get("enrich") or {})
    missing = [e for e in todo if e.id not in computed]
    if missing:
        computed.update(_compute(session, missing, enricher))
    now = ctx.clock.now()
    session.execute(delete(Insight).where(Insight.event_id.in_([e.id for e in todo])))
    rows = [_insight_dict(e, r, now) for e in todo for r in computed.get(e.id, [])]
    if rows:
        session.execute(insert(Insight), rows)


def _insight_dict(event: StoredEvent, r: InsightRow, now: Any) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "customer_id": event.customer_id,
        "kind": r.kind,
        "value": r.value,
        "confidence": r.confidence,
        "explanation": r.explanation,
        "model": r.model,
        "model_version": r.model_version,
        "created_at": now,
    }


def _pii_row(event: StoredEvent) -> InsightRow | None:
    """What the ingest-time redaction found (the original text is gone, or encrypted)."""
    red = event.payload.get(REDACTION_KEY)
    if not isinstance(red, dict):
        return None
    fields = {
        name: {"kinds": entry.get("kinds", []), "spans": entry.get("spans", [])}
        for name, entry in (red.get("fields") or {}).items()
        if isinstance(entry, dict) and "kinds" in entry
    }
    if not fields:
        return None
    kinds = sorted({k for f in fields.values() for k in f["kinds"]})

    return InsightRow(
        "pii",
        {"policy": red.get("policy", "redact"), "kinds": kinds, "fields": fields},
        None,
        "redacted at ingest: " + ", ".join(kinds),
        EXTRACTOR_NAME + ".pii",
        EXTRACTOR_VERSION,
    )

"""Customer reads (profile, story, search) and admin actions (unmerge)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from onestory.ai.redaction import public_payload
from onestory.customers import repository as repo
from onestory.customers.identity import identity_keys, search_keys
from onestory.customers.schemas import (
    CustomerSummary,
    IdentityOut,
    MergeOut,
    Profile,
)
from onestory.events import repository as events_repo
from onestory.events.schemas import EventOut, Identifiers, InsightOut
from onestory.events.service import EventDraft, Recorded, record
from onestory.kit.clock import Clock
from onestory.kit.errors import Conflict, InvalidInput, NotFound, field_error
from onestory.models import Customer, CustomerMerge, Event, Identity


def get_root(session: Session, customer_id: str) -> Customer:
    """The customer, or the survivor it was merged into."""
    cust = session.get(Customer, customer_id)
    hops = 0
    while cust is not None and cust.merged_into and hops < 50:
        cust = session.get(Customer, cust.merged_into)
        hops += 1
    if cust is None:
        raise NotFound(f"customer {customer_id} does not exist")
    return cust


def profile(session: Session, cust: Customer, ids: list[str] | None = None) -> Profile:
    """``ids``: the customer's group (``repo.group_ids``) when the caller already has it."""
    ids = ids if ids is not None else repo.group_ids(session, cust.id)
    counts = repo.channel_counts(session, ids)
    return Profile(
        id=cust.id,
        display_name=cust.display_name,
        traits=cust.traits or {},
        identities=[
            IdentityOut(
                kind=i.kind,
                value=i.value,
                strong=i.strong,
                customer_id=i.customer_id,
                created_at=i.created_at,
            )
            for i in repo.identities_of(session, ids)
        ],
        first_seen=cust.first_seen,
        last_seen=cust.last_seen,
        counts_by_channel=counts,
        total_events=sum(counts.values()),
        merged_ids=ids[1:],
        merges=[
            MergeOut(
                id=m.id,
                survivor_id=m.survivor_id,
                merged_id=m.merged_id,
                reason=m.reason,
                evidence=m.evidence,
                created_at=m.created_at,
                reverted_at=m.reverted_at,
            )
            for m in repo.merges_of(session, ids)
        ],
    )


def encode_cursor(t: datetime, seq: int) -> str:
    return base64.urlsafe_b64encode(f"{t.isoformat()}|{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        t, seq = raw.rsplit("|", 1)
        return datetime.fromisoformat(t), int(seq)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "the cursor is not one this API gave out",
            errors=[field_error("cursor", "malformed cursor")],
        ) from exc


def events_out(
    session: Session, events: Sequence[Event], root_of: dict[str, str]
) -> list[EventOut]:
    insights = events_repo.insights_for(session, [e.id for e in events])
    return [
        EventOut(
            id=e.id,
            type=e.type,
            source=e.source,
            channel=e.channel,
            occurred_at=e.occurred_at,
            received_at=e.received_at,
            customer_id=root_of.get(e.customer_id, e.customer_id) if e.customer_id else None,
            idempotency_key=e.idempotency_key,
            payload=public_payload(e.payload),
            insights=[
                InsightOut(
                    kind=i.kind,
                    value=i.value,
                    confidence=i.confidence,
                    explanation=i.explanation,
                    model=i.model,
                    model_version=i.model_version,
                )
                for i in insights.get(e.id, [])
            ],
        )
        for e in events
    ]


def story(
    session: Session,
    customer_id: str,
    *,
    limit: int = 50,
    cursor: str | None = None,
    types: Sequence[str] | None = None,
    channels: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """One page of a customer's story, newest first, across every merged record.

    Returns the ``StoryPage`` document as plain JSON-ready values (datetimes stay datetimes)
    built from plain rows: this is the hottest read of the product, and an ORM object per
    event plus a pydantic model per event and insight cost more than the SQL. The endpoint
    serialises it with orjson; ``tests/customers/test_story.py`` checks that it validates as
    ``StoryPage`` and serialises exactly as the model would."""
    head = repo.group_head(session, customer_id)
    if head is None:
        raise NotFound(f"customer {customer_id} does not exist")
    before = decode_cursor(cursor) if cursor else None
    ids = head.ids
    rows = repo.story_event_rows(
        session,
        ids,
        limit=limit + 1,
        before=before,
        types=types,
        channels=channels,
        since=since,
        until=until,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    insights: dict[str, list[dict[str, Any]]] = {}
    for i in repo.insight_rows(session, [r.id for r in rows]):
        insights.setdefault(i.event_id, []).append(
            {
                "kind": i.kind,
                "value": i.value,
                "confidence": i.confidence,
                "explanation": i.explanation,
                "model": i.model,
                "model_version": i.model_version,
            }
        )
    root = head.id
    group = set(ids)
    items = [
        {
            "id": r.id,
            "type": r.type,
            "source": r.source,
            "channel": r.channel,
            "occurred_at": r.occurred_at,
            "received_at": r.received_at,
            "customer_id": root if r.customer_id in group else r.customer_id,
            "idempotency_key": r.idempotency_key,
            "payload": public_payload(r.payload),
            "insights": insights.get(r.id, []),
        }
        for r in rows
    ]
    last = rows[-1] if more and rows else None
    return {
        "customer_id": root,
        "requested_id": customer_id,
        "profile": profile_document(session, head) if cursor is None else None,
        "items": items,
        "next_cursor": encode_cursor(last.occurred_at, last.seq) if last is not None else None,
    }


def profile_document(session: Session, head: repo.GroupHead) -> dict[str, Any]:
    """The ``Profile`` document of a group from plain rows (the story's first page)."""
    counts = repo.channel_count_rows(session, head.ids)
    return {
        "id": head.id,
        "display_name": head.display_name,
        "traits": head.traits or {},
        "identities": [
            {
                "kind": i.kind,
                "value": i.value,
                "strong": i.strong,
                "customer_id": i.customer_id,
                "created_at": i.created_at,
            }
            for i in repo.identity_rows(session, head.ids)
        ],
        "first_seen": head.first_seen,
        "last_seen": head.last_seen,
        "counts_by_channel": counts,
        "total_events": sum(counts.values()),
        "merged_ids": head.ids[1:],
        "merges": [
            {
                "id": m.id,
                "survivor_id": m.survivor_id,
                "merged_id": m.merged_id,
                "reason": m.reason,
                "evidence": m.evidence,
                "created_at": m.created_at,
                "reverted_at": m.reverted_at,
            }
            for m in repo.merge_rows(session, head.ids)
        ],
    }


def find(session: Session, q: str, *, limit: int = 20) -> list[CustomerSummary]:
    q = q.strip()
    if not q:
        return []
    direct = session.get(Customer, q)
    found = [get_root(session, q)] if direct is not None else []
    found += repo.search_customers(session, keys=search_keys(q), text=q, limit=limit)
    seen: set[str] = set()
    out = []
    for c in found:
        if c.id in seen:
            continue
        seen.add(c.id)
        out.append(
            CustomerSummary(
                id=c.id,
                display_name=c.display_name,
                first_seen=c.first_seen,
                last_seen=c.last_seen,
                identities=[
                    IdentityOut(
                        kind=i.kind,
                        value=i.value,
                        strong=i.strong,
                        customer_id=i.customer_id,
                        created_at=i.created_at,
                    )
                    for i in repo.identities_of(session, [c.id])
                ],
            )
        )
    return out[:limit]


def unmerge(session: Session, merge_id: str, *, actor: str, clock: Clock) -> Recorded:
    """Undo a merge: the merged customer gets back its identities and its story, including
    events recorded after the merge that carried only its identifiers."""
    merge = session.get(CustomerMerge, merge_id)
    if merge is None:
        raise NotFound(f"merge {merge_id} does not exist")
    if merge.reverted_at is not None:
        raise Conflict(f"merge {merge_id} was already reverted at {merge.reverted_at.isoformat()}")
    merged = session.get(Customer, merge.merged_id)
    if merged is None or merged.merged_into != merge.survivor_id:
        raise Conflict("the merged customer has moved since; unmerge the later merge first")
    now = clock.now()
    merged.merged_into = None
    moved = set(merge.moved_identities)
    if moved:
        session.execute(
            update(Identity).where(Identity.key.in_(moved)).values(customer_id=merged.id)
        )
    children = merge.evidence.get("children", [])
    if children:
        session.execute(
            update(Customer).where(Customer.id.in_(children)).values(merged_into=merged.id)
        )
    # Events attributed to the survivor after the merge but identified only by the merged
    # customer's identifiers belong to the merged customer again.
    later = session.scalars(
        select(Event).where(
            Event.customer_id == merge.survivor_id,
            Event.received_at >= merge.created_at,
            Event.source != "onestory",
        )
    )
    for ev in later:
        try:
            keys = {k.key for k in identity_keys(Identifiers.model_validate(ev.identifiers))}
        except ValueError:
            continue
        if keys and keys <= moved:
            ev.customer_id = merged.id
    merge.reverted_at = now
    merge.reverted_by = actor
    payload = {
        "merge_id": merge.id,
        "survivor_id": merge.survivor_id,
        "restored_id": merged.id,
        "by": actor,
    }
    return record(
        session,
        [
            EventDraft("customer.unmerged", merge.survivor_id, payload, now),
            EventDraft("customer.unmerged", merged.id, payload, now),
        ],
        clock=clock,
    )

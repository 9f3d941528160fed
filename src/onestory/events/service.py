"""Recording events: validation, idempotency, identity resolution, one bulk write per batch.

The caller owns the transaction (``Database.transaction(write=True)``); nothing here commits.
What was recorded is returned so the caller can publish it to the pipeline after commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from onestory.ai import privacy
from onestory.config import IngestSettings
from onestory.customers import repository as customers_repo
from onestory.customers.identity import IdentifierError, IdentityKey, identity_keys
from onestory.customers.resolver import IdentityResolver
from onestory.events import repository as repo
from onestory.events.schemas import EventIn
from onestory.events.types import PAYLOAD_SCHEMAS, extract_text
from onestory.kit.clock import Clock
from onestory.kit.errors import field_error
from onestory.kit.ids import new_id
from onestory.kit.inputs import unstorable
from onestory.kit.jsonutil import dumpb

# Rewrites a payload before it is stored (e.g. personal-data redaction); must not raise.
PayloadFilter = Callable[[str, dict[str, Any]], dict[str, Any]]


@dataclass
class ItemOutcome:
    index: int
    status: int
    id: str | None = None
    customer_id: str | None = None
    duplicate: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class EventDraft:
    """An event OneStory itself records (merges, AI findings, playbook actions, replies)."""

    type: str
    customer_id: str | None
    payload: dict[str, Any]
    occurred_at: datetime
    channel: str | None = "system"
    source: str = "onestory"
    idempotency_key: str | None = None


@dataclass
class Recorded:
    """Events written in this transaction: publish ``seqs`` to the pipeline after commit."""

    seqs: list[int] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def extend(self, other: Recorded) -> None:
        self.seqs.extend(other.seqs)
        self.rows.extend(other.rows)


@dataclass(slots=True)
class Prepared:
    """A valid event with everything worked out that needs no database: the identity keys,
    the (redacted) payload, its text and the new event's id. Plain fields, so a batch can be
    prepared in another process and sent back cheaply."""

    index: int
    id: str
    type: str
    source: str
    channel: str | None
    occurred_at: datetime
    idempotency_key: str | None
    customer_id: str | None  # an explicit OneStory id; checked when recorded
    name: str | None
    keys: list[IdentityKey]
    identifiers: dict[str, Any]
    payload: dict[str, Any]
    text: str | None


def _pydantic_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, Any]]:
    out = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        loc = ".".join(str(p) for p in err["loc"])
        out.append(
            field_error(f"{prefix}{loc}" if loc else prefix.rstrip(".") or "body", err["msg"])
        )
    return out


def validate_item(
    raw: Any,
    index: int,
    *,
    settings: IngestSettings,
    now: datetime,
    payload_filter: PayloadFilter | None = None,
) -> Prepared | ItemOutcome:
    """Validate one raw (parsed JSON) item; return it ready to record or a 4xx outcome."""
    if not isinstance(raw, dict):
        return ItemOutcome(
            index, 422, errors=[field_error("body", "each event must be a JSON object")]
        )
    found = unstorable(raw)
    if found is not None:
        return ItemOutcome(index, 422, errors=[field_error(*found)])
    try:
        event = EventIn.model_validate(raw)
    except ValidationError as exc:
        return ItemOutcome(index, 422, errors=_pydantic_errors(exc))
    errors: list[dict[str, Any]] = []
    size = len(dumpb(event.payload))
    if size > settings.max_payload_bytes:
        return ItemOutcome(
            index,
            413,
            errors=[
                field_error(
                    "payload",
                    f"payload is {size} bytes; the limit is {settings.max_payload_bytes}",
                )
            ],
        )
    if event.occurred_at > now + timedelta(seconds=settings.max_future_skew_seconds):
        errors.append(
            field_error(
                "occurred_at",
                f"is in the future (more than {settings.max_future_skew_seconds}s ahead of "
                "the server clock)",
            )
        )
    payload: dict[str, Any] = event.payload
    schema: type[BaseModel] | None = PAYLOAD_SCHEMAS.get(event.type)
    if schema is not None:
        try:
            payload = schema.model_validate(payload).model_dump(mode="json", exclude_none=True)
        except ValidationError as exc:
            errors.extend(_pydantic_errors(exc, "payload."))
    keys: list[IdentityKey] = []
    try:
        keys = identity_keys(event.customer, settings.default_phone_region)
    except IdentifierError as exc:
        errors.append(field_error(exc.field, exc.reason))
    if not keys and not event.customer.customer_id and not errors:
        errors.append(
            field_error(
                "customer",
                "needs at least one identifier (customer_id, email, phone, external_ids, "
                "social, device_id or cookie_id)",
            )
        )
    if errors:
        return ItemOutcome(index, 422, errors=errors)
    if payload_filter is not None:
        payload = payload_filter(event.type, payload)
    return Prepared(
        index=index,
        id=new_id("evt"),
        type=event.type,
        source=event.source,
        channel=event.channel.value if event.channel else None,
        # In UTC here (possibly in a worker process), so the write converts no time zones.
        occurred_at=event.occurred_at.astimezone(UTC),
        idempotency_key=event.idempotency_key,
        customer_id=event.customer.customer_id,
        name=event.customer.name,
        keys=keys,
        identifiers=event.customer.model_dump(exclude_defaults=True),
        payload=payload,
        text=extract_text(payload),
    )


def prepare(
    raw_items: Sequence[Any],
    *,
    settings: IngestSettings,
    now: datetime,
    payload_filter: PayloadFilter | None = None,
    start: int = 0,
) -> list[Prepared | ItemOutcome]:
    """Everything about a batch that needs no database (validation, identity keys, redaction),
    so it can run outside the write transaction, or in another process. ``start``: prepare
    only the items from there on (indices stay those of the whole batch)."""
    return [
        validate_item(raw_items[i], i, settings=settings, now=now, payload_filter=payload_filter)
        for i in range(start, len(raw_items))
    ]


def record_prepared(
    session: Session, items: Sequence[Prepared | ItemOutcome], *, now: datetime
) -> tuple[list[ItemOutcome], Recorded]:
    """De-duplicate, resolve identities and record a prepared batch in the caller's write
    transaction. ``items`` is what `prepare` returned; its outcomes are passed through."""
    outcomes: list[ItemOutcome | None] = [None] * len(items)
    valid: list[Prepared] = []
    for i, item in enumerate(items):
        if isinstance(item, ItemOutcome):
            outcomes[i] = item
        else:
            valid.append(item)

    pairs = {(v.source, v.idempotency_key) for v in valid if v.idempotency_key}
    existing = repo.existing_by_idempotency(session, pairs) if pairs else {}

    resolver = IdentityResolver(session, now)
    resolver.prefetch(
        {k.key for v in valid for k in v.keys},
        {v.customer_id for v in valid if v.customer_id},
    )

    rows: list[dict[str, Any]] = []
    seen_in_batch: dict[tuple[str, str], int] = {}
    for v in valid:
        pair = (v.source, v.idempotency_key) if v.idempotency_key else None
        if pair and pair in existing:
            eid, cid = existing[pair]
            root = resolver.root_of(cid) if cid else None
            outcomes[v.index] = ItemOutcome(v.index, 200, eid, root, duplicate=True)
            continue
        if pair and pair in seen_in_batch:
            first = outcomes[seen_in_batch[pair]]
            assert first is not None
            outcomes[v.index] = ItemOutcome(v.index, 200, first.id, first.customer_id, True)
            continue
        if v.customer_id and not resolver.exists(v.customer_id):
            outcomes[v.index] = ItemOutcome(
                v.index, 422, errors=[field_error("customer.customer_id", "no such customer")]
            )
            continue
        cid = resolver.resolve(
            v.keys,
            customer_id=v.customer_id,
            name=v.name,
            event_id=v.id,
            occurred_at=v.occurred_at,
        )
        rows.append(
            {
                "id": v.id,
                "type": v.type,
                "source": v.source,
                "channel": v.channel,
                "occurred_at": v.occurred_at,
                "received_at": now,
                "customer_id": cid,
                "idempotency_key": v.idempotency_key,
                "identifiers": v.identifiers,
                "payload": v.payload,
                "text": v.text,
            }
        )
        outcomes[v.index] = ItemOutcome(v.index, 201, v.id, cid)
        if pair:
            seen_in_batch[pair] = v.index
    # The seen window of each customer; new customers are written with theirs.
    spans = _seen_spans(rows, resolver)
    resolver.flush(spans)

    # Events attributed before a merge later in the same batch point at the merged record;
    # answer with the survivor, which is what a reader of the story will see.
    if resolver.merges:
        for o in outcomes:
            if o is not None and o.customer_id:
                o.customer_id = resolver.root_of(o.customer_id)
    for m in resolver.merges:
        rows.append(
            _draft_row(
                EventDraft(
                    type="customer.merged",
                    customer_id=m.survivor_id,
                    payload={
                        "merge_id": m.merge_id,
                        "survivor_id": m.survivor_id,
                        "merged_id": m.merged_id,
                        "reason": m.reason,
                        "evidence": m.evidence,
                    },
                    occurred_at=m.occurred_at,
                ),
                now,
            )
        )
    recorded = Recorded(repo.insert_events(session, rows), rows)
    customers_repo.touch_seen(session, spans, resolver.seen_windows())
    return [o for o in outcomes if o is not None], recorded


def _seen_spans(
    rows: list[dict[str, Any]], resolver: IdentityResolver
) -> dict[str, tuple[datetime, datetime]]:
    """(first, last) occurrence per (root) customer among the events sent in this batch."""
    spans: dict[str, tuple[datetime, datetime]] = {}
    for r in rows:
        cid = r["customer_id"]
        if cid is None or r["source"] == "onestory":
            continue
        root = resolver.root_of(cid)
        t = r["occurred_at"]
        if root in spans:
            f, la = spans[root]
            spans[root] = (min(f, t), max(la, t))
        else:
            spans[root] = (t, t)
    return spans


def _draft_row(draft: EventDraft, now: datetime) -> dict[str, Any]:
    # OneStory's own events (agent replies, notes, AI findings, playbook actions) carry text
    # typed by agents or copied from elsewhere: they pass the same filter as ingested events.
    payload = privacy.current().payload(draft.type, draft.payload)
    return {
        "id": new_id("evt"),
        "type": draft.type,
        "source": draft.source,
        "channel": draft.channel,
        "occurred_at": draft.occurred_at,
        "received_at": now,
        "customer_id": draft.customer_id,
        "idempotency_key": draft.idempotency_key,
        "identifiers": {"customer_id": draft.customer_id} if draft.customer_id else {},
        "payload": payload,
        "text": extract_text(payload),
    }


def record(session: Session, drafts: Sequence[EventDraft], *, clock: Clock) -> Recorded:
    """Record events OneStory itself produces. Drafts with an idempotency key already stored
    for their source are skipped, which keeps re-run pipeline stages from writing twice."""
    now = clock.now()
    pairs = {(d.source, d.idempotency_key) for d in drafts if d.idempotency_key}
    existing = repo.existing_by_idempotency(session, pairs) if pairs else {}
    rows = []
    seen: set[tuple[str, str]] = set()
    for d in drafts:
        if d.idempotency_key:
            pair = (d.source, d.idempotency_key)
            if pair in existing or pair in seen:
                continue
            seen.add(pair)
        rows.append(_draft_row(d, now))
    return Recorded(repo.insert_events(session, rows), rows)

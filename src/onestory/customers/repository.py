"""SQL for customers, identities and merges."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from onestory.db.base import Base, sqlite_timestamp, table_of
from onestory.db.bulk import chunks, insert_many, marks
from onestory.db.like import icontains
from onestory.models import Customer, CustomerMerge, Event, Identity, Insight


def identities_by_key(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """Map identity key to the customer id it is attached to, for the keys that exist."""
    found: dict[str, str] = {}
    key_list = list(dict.fromkeys(keys))
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        # Hot path of every ingest batch: plain driver SQL, no statement compilation.
        for chunk in chunks(key_list):
            found.update(
                conn.exec_driver_sql(
                    f"SELECT key, customer_id FROM identities WHERE key IN ({marks(chunk)})",
                    tuple(chunk),
                ).all()
            )
        return found
    table = table_of(Identity)
    for chunk in chunks(key_list):
        rows = conn.execute(select(table.c.key, table.c.customer_id).where(table.c.key.in_(chunk)))
        found.update({k: c for k, c in rows})
    return found


def customers_by_id(session: Session, ids: Iterable[str]) -> dict[str, Customer]:
    id_list = list(dict.fromkeys(ids))
    out: dict[str, Customer] = {}
    for chunk in chunks(id_list):
        rows = session.scalars(select(Customer).where(Customer.id.in_(chunk)))
        out.update({c.id: c for c in rows})
    return out


@dataclass(slots=True)
class CustomerHead:
    """What identity resolution and the seen-window update need of a customer."""

    id: str
    created_at: datetime
    merged_into: str | None
    display_name: str | None
    first_seen: datetime | None = None
    last_seen: datetime | None = None


def customer_heads(session: Session, ids: Iterable[str]) -> list[CustomerHead]:
    """These customers as plain rows (no ORM objects on the ingest path)."""
    id_list = list(dict.fromkeys(ids))
    table = table_of(Customer)
    cols = (
        table.c.id,
        table.c.created_at,
        table.c.merged_into,
        table.c.display_name,
        table.c.first_seen,
        table.c.last_seen,
    )
    conn = session.connection()
    out: list[CustomerHead] = []
    for i in range(0, len(id_list), 900):
        rows = conn.execute(select(*cols).where(table.c.id.in_(id_list[i : i + 900])))
        out.extend(CustomerHead(*r) for r in rows)
    return out


def strong_identity_owners(session: Session, customer_ids: Iterable[str]) -> set[str]:
    """Which of these customers have at least one strong identity (are "known people")."""
    ids = list(set(customer_ids))
    if not ids:
        return set()
    table = table_of(Identity)
    conn = session.connection()
    out: set[str] = set()
    for i in range(0, len(ids), 900):
        rows = conn.execute(
            select(table.c.customer_id)
            .where(table.c.customer_id.in_(ids[i : i + 900]), table.c.strong.is_(True))
            .distinct()
        )
        out.update(r[0] for r in rows)
    return out


def group_ids(session: Session, root_id: str) -> list[str]:
    """The root customer plus every customer merged into it (merges are kept flat)."""
    return [root_id, *merged_children(session, root_id)]


def identities_of(session: Session, customer_ids: Sequence[str]) -> list[Identity]:
    return list(
        session.scalars(
            select(Identity)
            .where(Identity.customer_id.in_(customer_ids))
            .order_by(Identity.strong.desc(), Identity.kind, Identity.value)
        )
    )


def repoint_identities(session: Session, from_id: str, to_id: str) -> list[str]:
    keys = list(session.scalars(select(Identity.key).where(Identity.customer_id == from_id)))
    if keys:
        session.execute(
            update(Identity).where(Identity.customer_id == from_id).values(customer_id=to_id)
        )
    return keys


def repoint_merged_children(session: Session, from_id: str, to_id: str) -> list[str]:
    children = list(session.scalars(select(Customer.id).where(Customer.merged_into == from_id)))
    if children:
        session.execute(
            update(Customer).where(Customer.merged_into == from_id).values(merged_into=to_id)
        )
    return children


def touch_seen(
    session: Session,
    spans: dict[str, tuple[datetime, datetime]],
    known: dict[str, tuple[datetime | None, datetime | None]] | None = None,
) -> None:
    """Widen customers' first/last seen to include the given (first, last) per customer.

    ``known`` holds the current (first, last) of customers read in this same write
    transaction. On SQLite, where a write transaction excludes every other writer, those
    windows are widened in Python and only the rows that change are written; elsewhere (and
    for customers not in ``known``) the database compares, so concurrent writers never
    narrow each other's window.
    """
    if not spans:
        return
    if known is not None and session.get_bind().dialect.name == "sqlite":
        changed: list[tuple[str | None, str | None, str]] = []
        rest: dict[str, tuple[datetime, datetime]] = {}
        for cid, (f, la) in spans.items():
            if cid not in known:
                rest[cid] = (f, la)
                continue
            cur_f, cur_l = known[cid]
            new_f = f if cur_f is None or f < cur_f else cur_f
            new_l = la if cur_l is None or la > cur_l else cur_l
            if new_f != cur_f or new_l != cur_l:
                changed.append((sqlite_timestamp(new_f), sqlite_timestamp(new_l), cid))
        if changed:
            session.connection().exec_driver_sql(
                "UPDATE customers SET first_seen = ?, last_seen = ? WHERE id = ?", changed
            )
        spans = rest
        if not spans:
            return
    # Id order: two concurrent batches touching the same customers lock them in one order.
    params = [{"cid": cid, "first": f, "last": la} for cid, (f, la) in sorted(spans.items())]
    table = table_of(Customer)
    stmt = (
        update(table)
        .where(table.c.id == bindparam("cid"))
        .values(
            first_seen=case(
                (
                    or_(table.c.first_seen.is_(None), table.c.first_seen > bindparam("first")),
                    bindparam("first"),
                ),
                else_=table.c.first_seen,
            ),
            last_seen=case(
                (
                    or_(table.c.last_seen.is_(None), table.c.last_seen < bindparam("last")),
                    bindparam("last"),
                ),
                else_=table.c.last_seen,
            ),
        )
    )
    session.connection().execute(stmt, params)


def channel_counts(session: Session, customer_ids: Sequence[str]) -> dict[str, int]:
    rows = session.execute(
        select(Event.channel, func.count())
        .where(Event.customer_id.in_(customer_ids))
        .group_by(Event.channel)
    )
    return {(ch or "none"): n for ch, n in rows}


def merges_of(session: Session, customer_ids: Sequence[str]) -> list[CustomerMerge]:
    return list(
        session.scalars(
            select(CustomerMerge)
            .where(
                or_(
                    CustomerMerge.survivor_id.in_(customer_ids),
                    CustomerMerge.merged_id.in_(customer_ids),
                )
            )
            .order_by(CustomerMerge.created_at.desc())
        )
    )


def search_customers(session: Session, *, keys: list[str], text: str, limit: int) -> list[Customer]:
    """Customers matching an identity key exactly, or whose name or identifier contains ``text``."""
    in_value = icontains(Identity.value, text)
    ident_match = select(Identity.customer_id).where(
        or_(Identity.key.in_(keys), in_value) if keys else in_value
    )
    stmt = (
        select(Customer)
        .where(
            and_(
                Customer.merged_into.is_(None),
                or_(icontains(Customer.display_name, text), Customer.id.in_(ident_match)),
            )
        )
        .order_by(Customer.last_seen.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def insert_rows(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    insert_many(session.connection(), table_of(model), rows)


# Story read path: plain rows (no ORM objects), Core statements on the session's connection.

_customers = table_of(Customer)
_events = table_of(Event)
_identities = table_of(Identity)
_merges = table_of(CustomerMerge)
_insights = table_of(Insight)

STORY_EVENT_COLUMNS = (
    _events.c.seq,
    _events.c.id,
    _events.c.type,
    _events.c.source,
    _events.c.channel,
    _events.c.occurred_at,
    _events.c.received_at,
    _events.c.customer_id,
    _events.c.idempotency_key,
    _events.c.payload,
)


def _in_group(column: Any, ids: Sequence[str]) -> ColumnElement[bool]:
    """``column = ?`` for the usual group of one (no expanding IN to render per call)."""
    return column == ids[0] if len(ids) == 1 else column.in_(ids)  # type: ignore[no-any-return]


@dataclass(slots=True)
class GroupHead:
    """A root customer (what the profile shows) and the ids of its merge group, root first."""

    id: str
    display_name: str | None
    traits: dict[str, Any] | None
    first_seen: datetime | None
    last_seen: datetime | None
    ids: list[str]


def group_head(session: Session, customer_id: str) -> GroupHead | None:
    """The customer's root (following ``merged_into``) and the ids of its merge group."""
    conn = session.connection()
    c = _customers.c
    by_id = select(c.id, c.merged_into, c.display_name, c.traits, c.first_seen, c.last_seen).where(
        c.id == bindparam("id")
    )
    row = conn.execute(by_id, {"id": customer_id}).first()
    hops = 0
    while row is not None and row.merged_into is not None and hops < 50:
        row = conn.execute(by_id, {"id": row.merged_into}).first()
        hops += 1
    if row is None:
        return None
    return GroupHead(
        id=row.id,
        display_name=row.display_name,
        traits=row.traits,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        ids=[row.id, *merged_children(session, row.id)],
    )


def merged_children(session: Session, root_id: str) -> list[str]:
    """Ids of the customers merged into ``root_id`` (merges are kept flat), in id order."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        # Almost every customer has merged_into NULL, so after ANALYZE SQLite's statistics
        # say the index matches every row and the planner scans the whole table instead
        # (~7 ms per story read at 50,000 customers). Naming the index keeps it a lookup.
        rows = conn.exec_driver_sql(
            "SELECT id FROM customers INDEXED BY ix_customers_merged_into"
            " WHERE merged_into = ? ORDER BY id",
            (root_id,),
        )
    else:
        c = _customers.c
        rows = conn.execute(select(c.id).where(c.merged_into == root_id).order_by(c.id))
    return [r[0] for r in rows]


def story_event_rows(
    session: Session,
    customer_ids: Sequence[str],
    *,
    limit: int,
    before: tuple[datetime, int] | None,
    types: Sequence[str] | None,
    channels: Sequence[str] | None,
    since: datetime | None,
    until: datetime | None,
) -> list[Any]:
    """One page of the group's events, newest first, as rows of ``STORY_EVENT_COLUMNS``.

    The order (occurred_at, seq) is the ``ix_events_customer_time`` index's, so SQLite walks
    the index backwards and stops after ``limit`` rows, with no sort step."""
    c = _events.c
    conds: list[ColumnElement[bool]] = [_in_group(c.customer_id, customer_ids)]
    if before is not None:
        t, seq = before
        conds.append(or_(c.occurred_at < t, and_(c.occurred_at == t, c.seq < seq)))
    if types:
        exact = [t for t in types if not t.endswith(".*")]
        prefixes = [t[:-1] for t in types if t.endswith(".*")]
        ors: list[ColumnElement[bool]] = []
        if exact:
            ors.append(c.type.in_(exact))
        ors.extend(c.type.startswith(p, autoescape=True) for p in prefixes)
        conds.append(or_(*ors))
    if channels:
        conds.append(c.channel.in_(channels))
    if since is not None:
        conds.append(c.occurred_at >= since)
    if until is not None:
        conds.append(c.occurred_at < until)
    stmt = (
        select(*STORY_EVENT_COLUMNS)
        .where(*conds)
        .order_by(c.occurred_at.desc(), c.seq.desc())
        .limit(limit)
    )
    return list(session.connection().execute(stmt).all())


def insight_rows(session: Session, event_ids: Sequence[str]) -> list[Any]:
    """The insights of these events (rows: event_id, kind, value, confidence, explanation,
    model, model_version), through the ``insights.event_id`` index."""
    if not event_ids:
        return []
    c = _insights.c
    stmt = (
        select(c.event_id, c.kind, c.value, c.confidence, c.explanation, c.model, c.model_version)
        # No ORDER BY: it could tempt the planner off the event_id index; within an event the
        # index yields insights in insertion order.
        .where(c.event_id.in_(event_ids))
    )
    return list(session.connection().execute(stmt).all())


def channel_count_rows(session: Session, customer_ids: Sequence[str]) -> dict[str, int]:
    """Events per channel of the group: an index-only scan of ``ix_events_customer_channel``."""
    c = _events.c
    rows = session.connection().execute(
        select(c.channel, func.count())
        .where(_in_group(c.customer_id, customer_ids))
        .group_by(c.channel)
    )
    return {(ch or "none"): n for ch, n in rows}


def identity_rows(session: Session, customer_ids: Sequence[str]) -> list[Any]:
    c = _identities.c
    stmt = (
        select(c.kind, c.value, c.strong, c.customer_id, c.created_at)
        .where(_in_group(c.customer_id, customer_ids))
        .order_by(c.strong.desc(), c.kind, c.value)
    )
    return list(session.connection().execute(stmt).all())


def merge_rows(session: Session, customer_ids: Sequence[str]) -> list[Any]:
    c = _merges.c
    stmt = (
        select(c.id, c.survivor_id, c.merged_id, c.reason, c.evidence, c.created_at, c.reverted_at)
        .where(or_(_in_group(c.survivor_id, customer_ids), _in_group(c.merged_id, customer_ids)))
        .order_by(c.created_at.desc())
    )
    return list(session.connection().execute(stmt).all())

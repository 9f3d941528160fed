"""SQL for customers, identities and merges."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session

from onestory.db.base import Base, sqlite_timestamp, table_of
from onestory.db.bulk import chunks, insert_many, marks
from onestory.models import Customer, CustomerMerge, Event, Identity


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
    merged = session.scalars(select(Customer.id).where(Customer.merged_into == root_id)).all()
    return [root_id, *merged]


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
    like = f"%{text.lower()}%"
    ident_match = select(Identity.customer_id).where(
        or_(Identity.key.in_(keys), func.lower(Identity.value).like(like))
        if keys
        else func.lower(Identity.value).like(like)
    )
    stmt = (
        select(Customer)
        .where(
            and_(
                Customer.merged_into.is_(None),
                or_(func.lower(Customer.display_name).like(like), Customer.id.in_(ident_match)),
            )
        )
        .order_by(Customer.last_seen.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def insert_rows(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    insert_many(session.connection(), table_of(model), rows)

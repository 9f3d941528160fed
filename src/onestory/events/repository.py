"""SQL for the event store: bulk inserts, idempotency look-ups, story pages, full-text search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from onestory.db.base import table_of
from onestory.db.bulk import chunks, insert_many, marks
from onestory.models import Event, Insight, PipelineJob


def existing_by_idempotency(
    session: Session, pairs: set[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(source, idempotency key) -> (event id, customer id) for pairs already stored."""
    out: dict[tuple[str, str], tuple[str, str | None]] = {}
    by_source: dict[str, list[str]] = {}
    for source, key in pairs:
        by_source.setdefault(source, []).append(key)
    events = table_of(Event)
    conn = session.connection()
    sqlite = conn.dialect.name == "sqlite"
    for source, keys in by_source.items():
        for chunk in chunks(keys):
            if sqlite:  # hot path of every batch: driver SQL, no statement compilation
                rows: Any = conn.exec_driver_sql(
                    "SELECT idempotency_key, id, customer_id FROM events "
                    f"WHERE source = ? AND idempotency_key IN ({marks(chunk)})",
                    (source, *chunk),
                )
            else:
                rows = conn.execute(
                    select(events.c.idempotency_key, events.c.id, events.c.customer_id).where(
                        events.c.source == source, events.c.idempotency_key.in_(chunk)
                    )
                )
            for found, eid, cid in rows:
                if found is not None:
                    out[(source, found)] = (eid, cid)
    return out


def insert_events(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert events and their pipeline jobs; return the events' sequence numbers in order."""
    if not rows:
        return []
    conn = session.connection()
    events = table_of(Event)
    if conn.dialect.name == "sqlite":
        # SQLite cannot return generated keys in parameter order from one multi-row
        # statement (SQLAlchemy would fall back to one INSERT per row). Inside one write
        # transaction nothing else inserts, so one executemany numbers the rows
        # consecutively (rowid = largest + 1): read the last number, check the first.
        insert_many(conn, events, rows)
        last = conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one()
        first = conn.exec_driver_sql(
            "SELECT seq FROM events WHERE id = ?", (rows[0]["id"],)
        ).scalar_one()
        params: tuple[int, ...]
        if last - first + 1 == len(rows):
            seqs = list(range(first, last + 1))
            where, params = "seq BETWEEN ? AND ?", (first, last)
        else:  # not expected; read every number back rather than guess
            seqs = _seqs_by_id(conn, [r["id"] for r in rows])
            where, params = f"seq IN ({','.join('?' * len(seqs))})", tuple(seqs)
        # Full-text index: one statement for the batch (migration 0007 replaced the per-row
        # trigger, which cost three times as much), in this transaction, so search is as
        # fresh as the story.
        conn.exec_driver_sql(
            "INSERT INTO events_fts(rowid, text) SELECT seq, text FROM events "
            f"WHERE {where} AND text IS NOT NULL",
            params,
        )
    else:
        result = conn.execute(
            events.insert().returning(events.c.seq, sort_by_parameter_order=True), rows
        )
        seqs = [r[0] for r in result]
    now = rows[0]["received_at"]
    insert_many(
        conn,
        table_of(PipelineJob),
        [{"event_seq": s, "stage": 0, "attempts": 0, "updated_at": now} for s in seqs],
    )
    return seqs


def _seqs_by_id(conn: Connection, ids: list[str]) -> list[int]:
    seq_of: dict[str, int] = {}
    for chunk in chunks(ids):
        found = conn.exec_driver_sql(
            f"SELECT id, seq FROM events WHERE id IN ({marks(chunk)})", tuple(chunk)
        )
        seq_of.update({eid: seq for eid, seq in found})
    return [seq_of[eid] for eid in ids]


def insights_for(session: Session, event_ids: Sequence[str]) -> dict[str, list[Insight]]:
    out: dict[str, list[Insight]] = {}
    if not event_ids:
        return out
    for row in session.scalars(select(Insight).where(Insight.event_id.in_(event_ids))):
        out.setdefault(row.event_id, []).append(row)
    return out


def search_events(
    session: Session, query: str, *, customer_ids: Sequence[str] | None, limit: int
) -> list[Event]:
    """Full-text search over event text: SQLite FTS5 or PostgreSQL ``tsvector``."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # Quote every term so user input is never FTS5 syntax.
        terms = [t.replace('"', '""') for t in query.split() if t.strip()]
        if not terms:
            return []
        match = " ".join(f'"{t}"' for t in terms)
        seqs = (
            select(text("rowid")).select_from(text("events_fts")).where(text("events_fts MATCH :q"))
        )
        stmt = select(Event).where(Event.seq.in_(seqs)).params(q=match)
    else:
        tsq = func.plainto_tsquery("simple", query)
        stmt = select(Event).where(
            func.to_tsvector("simple", func.coalesce(Event.text, "")).op("@@")(tsq)
        )
    if customer_ids is not None:
        stmt = stmt.where(Event.customer_id.in_(customer_ids))
    stmt = stmt.order_by(Event.occurred_at.desc()).limit(limit)
    return list(session.scalars(stmt))

"""Bulk inserts for the hot paths (ingest, identity resolution, pipeline jobs).

On SQLite a batch goes to the driver's ``executemany`` as plain tuples, converted once per
value by the same rules SQLAlchemy's column types apply (timestamps in SQLAlchemy's SQLite text
form, JSON through the engine's serializer): SQLAlchemy's per-row parameter processing costs
more than SQLite's own insert for the ingest path. PostgreSQL keeps SQLAlchemy's multi-row
``insertmanyvalues``, which is already one round trip per page of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Boolean, Connection, Table
from sqlalchemy.types import JSON

from onestory.db.base import UTCDateTime, sqlite_timestamp
from onestory.kit.jsonutil import dumps

Convert = Callable[[Any], Any]


def _as_int(value: Any) -> Any:
    return None if value is None else int(value)


def _identity(value: Any) -> Any:
    return value


def _converter(column_type: Any) -> Convert:
    if isinstance(column_type, UTCDateTime):
        return sqlite_timestamp
    if isinstance(column_type, JSON):
        return dumps
    if isinstance(column_type, Boolean):
        return _as_int
    return _identity


@lru_cache(maxsize=64)
def _plan(
    table: Table, keys: tuple[str, ...]
) -> tuple[str, tuple[tuple[str, Convert], ...], tuple[Any, ...]] | None:
    """The INSERT statement, per-key converters and the constant defaults of the columns the
    rows leave out; None when a left-out column has a Python-side default that is not a
    constant (the caller then lets SQLAlchemy compute it)."""
    defaults: list[tuple[str, Any]] = []
    for col in table.columns:
        if col.name in keys or col.default is None:
            continue
        if not col.default.is_scalar:
            return None
        defaults.append((col.name, getattr(col.default, "arg", None)))
    names = [*keys, *(name for name, _ in defaults)]
    quoted = ", ".join(f'"{n}"' for n in names)
    sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({", ".join("?" * len(names))})'
    convs = tuple((k, _converter(table.c[k].type)) for k in keys)
    consts = tuple(_converter(table.c[n].type)(v) for n, v in defaults)
    return sql, convs, consts


def insert_many(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows that all have the same keys, in one ``executemany``."""
    if not rows:
        return
    plan = _plan(table, tuple(rows[0])) if conn.dialect.name == "sqlite" else None
    if plan is None:
        conn.execute(table.insert(), list(rows))
        return
    sql, convs, consts = plan
    params = [(*(conv(r[k]) for k, conv in convs), *consts) for r in rows]
    conn.exec_driver_sql(sql, params)

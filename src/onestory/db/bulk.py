"""Bulk inserts for the hot paths (ingest, identity resolution, pipeline jobs).

On SQLite a batch goes to the driver's ``executemany`` as plain tuples, converted once per
value by the same rules SQLAlchemy's column types apply (timestamps in SQLAlchemy's SQLite text
form, JSON through the engine's serializer): SQLAlchemy's per-row parameter processing costs
more than SQLite's own insert for the ingest path. PostgreSQL keeps SQLAlchemy's multi-row
``insertmanyvalues``, which is already one round trip per page of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from itertools import repeat
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.types import JSON

from onestory.ai import privacy
from onestory.db.base import UTCDateTime, sqlite_timestamp
from onestory.db.private import PrivateJSON, PrivateText
from onestory.kit.jsonutil import dumps

Convert = Callable[[Any], Any]

# Bound values per statement when a list is split for ``IN (...)`` (SQLite's default limit is
# 32,766; small enough for old builds too).
IN_CHUNK = 900


def chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def marks(values: Sequence[Any]) -> str:
    """``?, ?, ?`` for a SQLite driver-level ``IN`` list of these values."""
    return ", ".join("?" * len(values))


def _converter(column_type: Any) -> Convert | None:
    """How a value of this column type is written on SQLite (None: as it is; the driver
    writes booleans as 0/1 itself)."""
    if isinstance(column_type, UTCDateTime):
        return sqlite_timestamp
    # The private types scrub on write (db/private.py); this path skips their bind processing.
    if isinstance(column_type, PrivateJSON):
        return _private_json
    if isinstance(column_type, PrivateText):
        return _private_text
    if isinstance(column_type, JSON):
        return dumps
    return None


def _private_json(value: Any) -> str:
    return dumps(privacy.scrub_json(value))


def _private_text(value: Any) -> Any:
    return privacy.scrub_text(value) if isinstance(value, str) else value


@lru_cache(maxsize=64)
def _plan(
    table: Table, keys: tuple[str, ...]
) -> tuple[str, tuple[tuple[int, Convert], ...], tuple[Any, ...]] | None:
    """The INSERT statement, the converters of the keys that need one (by position) and the
    constant defaults of the columns the rows leave out; None when a left-out column has a
    Python-side default that is not a constant (the caller then lets SQLAlchemy compute it)."""
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
    convs = tuple(
        (i, conv) for i, k in enumerate(keys) if (conv := _converter(table.c[k].type)) is not None
    )
    consts = tuple(
        (conv(v) if (conv := _converter(table.c[n].type)) is not None else v) for n, v in defaults
    )
    return sql, convs, consts


def insert_many(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows that all have the same keys, in one ``executemany``."""
    if not rows:
        return
    keys = tuple(rows[0])
    plan = _plan(table, keys) if conn.dialect.name == "sqlite" else None
    if plan is None:
        conn.execute(table.insert(), list(rows))
        return
    sql, convs, consts = plan
    # Column-wise: one C-level map per converted column instead of a Python call per value.
    columns: list[Any] = [[r[k] for r in rows] for k in keys]
    for i, conv in convs:
        columns[i] = list(map(conv, columns[i]))
    columns.extend(repeat(c, len(rows)) for c in consts)
    conn.exec_driver_sql(sql, list(zip(*columns, strict=False)))

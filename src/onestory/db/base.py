"""Declarative Base with a naming convention (so Alembic can name and alter constraints on
SQLite in batch mode), plus the column types both dialects share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, Table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every dialect.

    SQLite has no time zone support, so values are stored as naive UTC and handed back aware;
    PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    # SQLite: one direct conversion each way instead of the decorator chain (this runs for
    # every timestamp of every row on the ingest and story-read paths). The text format is
    # SQLAlchemy's own for SQLite DATETIME, so both paths read and write the same strings.
    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return sqlite_timestamp

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return _sqlite_result


# The last conversion, as one tuple (read and replaced atomically): a batch's rows share their
# received_at / created_at object, so most calls are a hit.
_last_timestamp: tuple[datetime | None, str | None] = (None, None)


def sqlite_timestamp(value: datetime | None) -> str | None:
    """A timestamp as SQLAlchemy writes SQLite DATETIME: naive UTC, always with microseconds."""
    global _last_timestamp
    last = _last_timestamp
    if value is last[0]:
        return last[1]
    if value is None:
        return None
    original = value
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
    text = value.replace(tzinfo=None).isoformat(" ", "microseconds")
    _last_timestamp = (original, text)
    return text


def _sqlite_result(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


JSONType: Any = JSON().with_variant(JSONB(), "postgresql")


def table_of(model: type[Base]) -> Table:
    """The Core ``Table`` behind a mapped class (for bulk statements on hot paths)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table

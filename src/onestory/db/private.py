"""Column types for free text outside the events table: scrubbed of personal data on write.

A column declared ``PrivateText(300)`` or ``PrivateJSON`` passes every value bound to it —
ORM flushes, Core inserts and updates, even comparison parameters — through the process's
scrubber (`onestory.ai.privacy`), so a case title, a task's details, a promise or a transfer
note never reaches the database (or its WAL) holding a card number, IBAN, email or phone. The
type is declared once per column; no endpoint needs to remember it.

Reads are untouched. Redaction is idempotent, so scrubbing a value that was already scrubbed
(an event text copied into a promise) changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from onestory.ai import privacy


class PrivateText(TypeDecorator[str]):
    """``String(length)`` (or ``Text`` without a length) whose values are scrubbed on write."""

    impl = Text
    cache_ok = True

    def __init__(self, length: int | None = None) -> None:
        super().__init__()
        self.length = length

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # The generic type, not ``dialect.type_descriptor(...)``: psycopg adapts ``Text`` to
        # its ``String`` subclass, which renders ``VARCHAR`` where the migrations made ``TEXT``
        # (tests/db/test_migrations_match_models.py). SQLAlchemy adapts it for binds itself.
        return String(self.length) if self.length else Text()

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if isinstance(value, str):
            return privacy.scrub_text(value)
        return value

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return value


class PrivateJSON(TypeDecorator[Any]):
    """JSON (JSONB on PostgreSQL) whose strings, at any depth, are scrubbed on write."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return privacy.scrub_json(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return value

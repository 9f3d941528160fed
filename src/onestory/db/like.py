"""LIKE patterns built from user text: ``%`` and ``_`` typed by a user are literal characters.

Every LIKE over user input goes through :func:`icontains`, so the escaping (and the explicit
``ESCAPE`` clause that SQLite needs and PostgreSQL accepts) lives in one place.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func

ESCAPE = "\\"


def escape_like(text: str) -> str:
    """``text`` with the LIKE wildcards and the escape character itself escaped."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def icontains(column: ColumnElement[Any] | Any, text: str) -> ColumnElement[bool]:
    """Case-insensitive "``column`` contains ``text``", with ``text`` taken literally."""
    return func.lower(column).like(f"%{escape_like(text.lower())}%", escape=ESCAPE)

"""search: index a batch's event text with one statement instead of a per-row trigger (SQLite)

The per-row ``AFTER INSERT`` trigger made SQLite's FTS5 index about three quarters of the cost
of recording a batch. ``events.repository.insert_events`` now adds the batch's rows to
``events_fts`` in the same transaction with one ``INSERT ... SELECT``, so search stays exactly
as fresh. The update and delete triggers stay (they are rare).

Revision ID: 0007_fts_batch_index
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_fts_batch_index"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_fts_ai")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER events_fts_ai AFTER INSERT ON events WHEN new.text IS NOT NULL "
            "BEGIN INSERT INTO events_fts(rowid, text) VALUES (new.seq, new.text); END"
        )

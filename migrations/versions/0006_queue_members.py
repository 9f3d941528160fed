"""users: queue membership (who works which conversation queue)

Revision ID: 0006_queue_members
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from onestory.db.base import UTCDateTime

revision: str = "0006_queue_members"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
# The members reference users, created by 0004 on its own branch.
depends_on: str | Sequence[str] | None = "0004_users"


def upgrade() -> None:
    op.create_table(
        "queue_members",
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("queue", sa.String(length=100), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_queue_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "queue", name=op.f("pk_queue_members")),
    )
    op.create_index(op.f("ix_queue_members_queue"), "queue_members", ["queue"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_queue_members_queue"), table_name="queue_members")
    op.drop_table("queue_members")

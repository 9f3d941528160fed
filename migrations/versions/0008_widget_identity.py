"""channels: widget identity claims (one-time codes) and allowed widget origins

Revision ID: 0008_widget_identity
Revises: 0001
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from onestory.db.base import UTCDateTime

revision: str = "0008_widget_identity"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "widget_claims",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("visitor_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("codes_sent", sa.Integer(), nullable=False),
        sa.Column("verified_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_widget_claims")),
        sa.UniqueConstraint("visitor_id", "email", name=op.f("uq_widget_claims_visitor_id_email")),
    )
    op.create_index(
        op.f("ix_widget_claims_visitor_id"), "widget_claims", ["visitor_id"], unique=False
    )
    op.create_table(
        "widget_origins",
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("origin", name=op.f("pk_widget_origins")),
    )


def downgrade() -> None:
    op.drop_table("widget_origins")
    op.drop_index(op.f("ix_widget_claims_visitor_id"), table_name="widget_claims")
    op.drop_table("widget_claims")

"""conversations: conversations, their messages, the channels outbox

Revision ID: 0002_conversations
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from onestory.db.base import UTCDateTime

revision: str = "0002_conversations"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("channels", _json(), nullable=False),
        sa.Column("subject", sa.String(length=1000), nullable=True),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("queue", sa.String(length=100), nullable=True),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("first_response_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("last_message_at", UTCDateTime(), nullable=True),
        sa.Column("waiting_since", UTCDateTime(), nullable=True),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("facts", _json(), nullable=False),
        sa.Column("notes", _json(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversations_customer_status", ["customer_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_conversations_status_waiting", ["status", "waiting_since"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_conversations_assignee"), ["assignee"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversations_queue"), ["queue"], unique=False)

    op.create_table(
        "conversation_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("author", sa.String(length=20), nullable=False),
        sa.Column("author_id", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("subject", sa.String(length=1000), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("attachments", _json(), nullable=False),
        sa.Column("external_id", sa.String(length=500), nullable=True),
        sa.Column("meta", _json(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_messages")),
        sa.UniqueConstraint("event_id", name=op.f("uq_conversation_messages_event_id")),
    )
    with op.batch_alter_table("conversation_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversation_messages_conv_time",
            ["conversation_id", "occurred_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_conversation_messages_external_id"), ["external_id"], unique=False
        )

    op.create_table(
        "channel_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=400), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=500), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_channel_outbox_event_id")),
    )
    with op.batch_alter_table("channel_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channel_outbox_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("channel_outbox")
    op.drop_table("conversation_messages")
    op.drop_table("conversations")

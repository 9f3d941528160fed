"""story: a (customer_id, channel) index so the profile's counts per channel read the index only

Revision ID: 0005_story_channel_index
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_story_channel_index"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_events_customer_channel", "events", ["customer_id", "channel"])


def downgrade() -> None:
    op.drop_index("ix_events_customer_channel", table_name="events")

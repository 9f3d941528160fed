"""cases, tasks, promises; signals, playbooks, proactive actions, consents, preferences

Revision ID: 0003_cases
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from onestory.db.base import UTCDateTime

revision: str = "0003_cases"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(40), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("team", sa.String(100), nullable=True),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("origin_id", sa.String(60), nullable=True),
        sa.Column("conversation_ids", _json(), nullable=False),
        sa.Column("event_ids", _json(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("origin_id", name=op.f("uq_cases_origin_id")),
    )
    op.create_index("ix_cases_customer_status", "cases", ["customer_id", "status"])

    op.create_table(
        "tasks",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(40), nullable=False),
        sa.Column("case_id", sa.String(40), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("team", sa.String(100), nullable=True),
        sa.Column("assignee", sa.String(200), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=True),
        sa.Column("window_end", UTCDateTime(), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("details", _json(), nullable=False),
        sa.Column("history", _json(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("external_id", name=op.f("uq_tasks_external_id")),
    )
    op.create_index("ix_tasks_assignee_status", "tasks", ["assignee", "status"])
    op.create_index("ix_tasks_team_status", "tasks", ["team", "status"])
    op.create_index("ix_tasks_customer", "tasks", ["customer_id"])
    op.create_index("ix_tasks_case_id", "tasks", ["case_id"])

    op.create_table(
        "promises",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(40), nullable=False),
        sa.Column("case_id", sa.String(40), nullable=True),
        sa.Column("task_id", sa.String(40), nullable=True),
        sa.Column("what", sa.String(500), nullable=False),
        sa.Column("who", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("due_by", UTCDateTime(), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=True),
        sa.Column("window_end", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("origin", sa.String(10), nullable=False),
        sa.Column("origin_key", sa.String(80), nullable=True),
        sa.Column("source_event_id", sa.String(40), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("evidence", _json(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promises")),
        sa.UniqueConstraint("origin_key", name=op.f("uq_promises_origin_key")),
    )
    op.create_index("ix_promises_status_due", "promises", ["status", "due_by"])
    op.create_index("ix_promises_customer", "promises", ["customer_id"])
    op.create_index("ix_promises_task_id", "promises", ["task_id"])

    op.create_table(
        "signals",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("occurrence_key", sa.String(200), nullable=False),
        sa.Column("source_event_id", sa.String(40), nullable=False),
        sa.Column("evidence", _json(), nullable=False),
        sa.Column("detected_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
        sa.UniqueConstraint("occurrence_key", name=op.f("uq_signals_occurrence_key")),
    )
    op.create_index("ix_signals_customer_time", "signals", ["customer_id", "detected_at"])
    op.create_index("ix_signals_source_event_id", "signals", ["source_event_id"])
    op.create_index("ix_signals_detected_at", "signals", ["detected_at"])

    op.create_table(
        "playbooks",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("spec", _json(), nullable=False),
        sa.Column("origin", sa.String(10), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_playbooks")),
    )

    op.create_table(
        "proactive_actions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("dedupe_key", sa.String(300), nullable=False),
        sa.Column("customer_id", sa.String(40), nullable=False),
        sa.Column("playbook", sa.String(100), nullable=False),
        sa.Column("playbook_version", sa.Integer(), nullable=False),
        sa.Column("signal_id", sa.String(40), nullable=True),
        sa.Column("signal_kind", sa.String(40), nullable=True),
        sa.Column("trigger_event_id", sa.String(40), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("channel", sa.String(40), nullable=True),
        sa.Column("result_event_id", sa.String(40), nullable=True),
        sa.Column("details", _json(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proactive_actions")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_proactive_actions_dedupe_key")),
    )
    op.create_index(
        "ix_proactive_actions_customer_time", "proactive_actions", ["customer_id", "created_at"]
    )
    op.create_index("ix_proactive_actions_signal_id", "proactive_actions", ["signal_id"])

    op.create_table(
        "consents",
        sa.Column("customer_id", sa.String(40), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(100), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "purpose", "channel", name=op.f("pk_consents")),
    )
    op.create_table(
        "contact_preferences",
        sa.Column("customer_id", sa.String(40), nullable=False),
        sa.Column("preferred_channel", sa.String(40), nullable=True),
        sa.Column("language", sa.String(10), nullable=True),
        sa.Column("timezone", sa.String(60), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_contact_preferences")),
    )


def downgrade() -> None:
    for table in (
        "contact_preferences",
        "consents",
        "proactive_actions",
        "playbooks",
        "signals",
        "promises",
        "tasks",
        "cases",
    ):
        op.drop_table(table)

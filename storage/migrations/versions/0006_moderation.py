"""Moderation and account lifecycle: mutes, filters, reports, domain blocks and allows,
invites, the audit log, prompt refusals, web sessions; silencing, moves and aliases on
accounts; registration reasons, invites and generation switches on users.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)

ACCOUNT_COLUMNS = [
    sa.Column("silenced_at", Timestamp, nullable=True),
    sa.Column("moved_to_uri", sa.String(2048), nullable=True),
    sa.Column("moved_to_account_id", Id, nullable=True),
    sa.Column("also_known_as", sa.JSON(), nullable=False, server_default="[]"),
]
USER_COLUMNS = [
    sa.Column("registration_reason", sa.Text(), nullable=False, server_default=""),
    sa.Column("invite_id", Id, nullable=True),
    sa.Column("generation_disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
]


def _account_fk(name: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                     nullable=nullable)


def upgrade() -> None:
    # Plain ADD COLUMN: batch mode would recreate tables and lose expression indexes.
    for column in ACCOUNT_COLUMNS:
        op.add_column("accounts", column)
    for column in USER_COLUMNS:
        op.add_column("users", column)
    op.create_table(
        "mutes",
        sa.Column("id", Id, primary_key=True),
        _account_fk("account_id"),
        _account_fk("target_account_id"),
        sa.Column("hide_notifications", sa.Boolean(), nullable=False),
        sa.Column("expires_at", Timestamp, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.UniqueConstraint("account_id", "target_account_id"),
    )
    op.create_index("ix_mutes_target_account_id", "mutes", ["target_account_id"])
    op.create_table(
        "filters",
        sa.Column("id", Id, primary_key=True),
        _account_fk("account_id"),
        sa.Column("phrase", sa.String(255), nullable=False),
        sa.Column("whole_word", sa.Boolean(), nullable=False),
        sa.Column("contexts", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("expires_at", Timestamp, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_index("ix_filters_account_id", "filters", ["account_id"])
    op.create_table(
        "reports",
        sa.Column("id", Id, primary_key=True),
        _account_fk("account_id"),
        _account_fk("target_account_id"),
        sa.Column("status_ids", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("uri", sa.String(2048), nullable=True, unique=True),
        sa.Column("forward", sa.Boolean(), nullable=False),
        sa.Column("forwarded_at", Timestamp, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("resolved_by_account_id", Id, nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=False),
        sa.Column("resolved_at", Timestamp, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_index("ix_reports_target_account_id", "reports", ["target_account_id"])
    op.create_index("ix_reports_state_id", "reports", ["state", "id"])
    op.create_table(
        "domain_blocks",
        sa.Column("id", Id, primary_key=True),
        sa.Column("domain", sa.String(255), nullable=False, unique=True),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("reject_media", sa.Boolean(), nullable=False),
        sa.Column("public_comment", sa.Text(), nullable=False),
        sa.Column("private_comment", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
    )
    op.create_table(
        "domain_allows",
        sa.Column("id", Id, primary_key=True),
        sa.Column("domain", sa.String(255), nullable=False, unique=True),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_table(
        "invites",
        sa.Column("id", Id, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        _account_fk("account_id", nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("expires_at", Timestamp, nullable=True),
        sa.Column("revoked_at", Timestamp, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(32), nullable=False),
        sa.Column("target", sa.String(2048), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_table(
        "prompt_refusals",
        sa.Column("id", Id, primary_key=True),
        _account_fk("account_id"),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_index("ix_prompt_refusals_account_id", "prompt_refusals", ["account_id"])
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(512), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("last_seen_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])


def downgrade() -> None:
    for table in ("web_sessions", "prompt_refusals", "audit_log", "invites", "domain_allows",
                  "domain_blocks", "reports", "filters", "mutes"):
        op.drop_table(table)
    for column in reversed(USER_COLUMNS):
        op.drop_column("users", column.name)
    for column in reversed(ACCOUNT_COLUMNS):
        op.drop_column("accounts", column.name)

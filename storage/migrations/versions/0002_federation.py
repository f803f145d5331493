"""Federation: profile media and fields, blocks, inbox and outgoing activities, host health.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMN (no batch mode): recreating the table on SQLite would lose the
    # expression indexes that keep usernames unique.
    op.add_column("accounts", sa.Column("avatar_url", sa.String(2048), nullable=True))
    op.add_column("accounts", sa.Column("header_url", sa.String(2048), nullable=True))
    op.add_column("accounts", sa.Column("fields", sa.JSON(), nullable=False,
                                        server_default=sa.text("'[]'")))

    op.create_table(
        "blocks",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("target_account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("uri", sa.String(2048), nullable=True, unique=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.UniqueConstraint("account_id", "target_account_id"),
    )
    op.create_index("ix_blocks_target_account_id", "blocks", ["target_account_id"])

    op.create_table(
        "inbox_activities",
        sa.Column("id", Id, primary_key=True),
        sa.Column("activity_id", sa.String(2048), nullable=False, unique=True),
        sa.Column("activity_type", sa.String(64), nullable=False),
        sa.Column("actor_uri", sa.String(2048), nullable=False),
        sa.Column("signer_key_id", sa.String(2048), nullable=True),
        sa.Column("signer_uri", sa.String(2048), nullable=True),
        sa.Column("inbox_account_id", Id, nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("received_at", Timestamp, nullable=False),
        sa.Column("processed_at", Timestamp, nullable=True),
    )

    op.create_table(
        "outgoing_activities",
        sa.Column("id", Id, primary_key=True),
        sa.Column("activity_id", sa.String(2048), nullable=False, unique=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_index("ix_outgoing_activities_account_id", "outgoing_activities", ["account_id"])

    op.create_table(
        "delivery_hosts",
        sa.Column("host", sa.String(255), primary_key=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("paused_until", Timestamp, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_failure_at", Timestamp, nullable=True),
        sa.Column("last_success_at", Timestamp, nullable=True),
    )


def downgrade() -> None:
    for table in ("delivery_hosts", "outgoing_activities", "inbox_activities", "blocks"):
        op.drop_table(table)
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("fields")
        batch.drop_column("header_url")
        batch.drop_column("avatar_url")

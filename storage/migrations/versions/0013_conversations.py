"""Conversations (direct messages): one row per local account and set of other
participants, and the direct statuses each holds (Mastodon's account_conversations).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("participants", sa.String(512), nullable=False),
        sa.Column("last_status_id", Id, nullable=True),
        sa.Column("unread", sa.Boolean, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.UniqueConstraint("account_id", "participants"))
    op.create_index("ix_conversations_account_id_last_status_id", "conversations",
                    ["account_id", "last_status_id"])
    op.create_table(
        "conversation_statuses",
        sa.Column("conversation_id", Id, sa.ForeignKey("conversations.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("status_id", Id, sa.ForeignKey("statuses.id", ondelete="CASCADE"),
                  primary_key=True))
    op.create_index("ix_conversation_statuses_status_id", "conversation_statuses",
                    ["status_id"])


def downgrade() -> None:
    op.drop_table("conversation_statuses")
    op.drop_table("conversations")

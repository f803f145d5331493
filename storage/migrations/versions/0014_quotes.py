"""Quote posts (FEP-044f, Mastodon 4.5): one row per quoting status, and the quote policy a
status states.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "quotes",
        sa.Column("id", Id, primary_key=True),
        sa.Column("status_id", Id, sa.ForeignKey("statuses.id", ondelete="CASCADE"),
                  nullable=False, unique=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("quoted_status_id", Id, sa.ForeignKey("statuses.id", ondelete="SET NULL"),
                  nullable=True, index=True),
        sa.Column("quoted_account_id", Id, sa.ForeignKey("accounts.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("quoted_uri", sa.String(2048), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("activity_uri", sa.String(2048), nullable=True),
        sa.Column("approval_uri", sa.String(2048), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False))
    op.create_index("ix_quotes_activity_uri", "quotes", ["activity_uri"])
    op.create_index("ix_quotes_approval_uri", "quotes", ["approval_uri"])
    op.create_table(
        "quote_policies",
        sa.Column("status_id", Id, sa.ForeignKey("statuses.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("automatic", sa.String(64), nullable=False),
        sa.Column("manual", sa.String(64), nullable=False))


def downgrade() -> None:
    op.drop_table("quote_policies")
    op.drop_index("ix_quotes_approval_uri", table_name="quotes")
    op.drop_index("ix_quotes_activity_uri", table_name="quotes")
    op.drop_table("quotes")

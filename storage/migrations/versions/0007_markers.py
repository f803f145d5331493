"""Read markers (Mastodon's `markers`): how far a user has read a timeline; the web app
keeps the "notifications" one and counts what is newer as unread.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "markers",
        sa.Column("id", Id, primary_key=True),
        sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("timeline", sa.String(32), nullable=False),
        sa.Column("last_read_id", Id, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        # Also the index every lookup uses: one row per user and timeline.
        sa.UniqueConstraint("user_id", "timeline"),
    )


def downgrade() -> None:
    op.drop_table("markers")

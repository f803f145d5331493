"""Followed hashtags (tag_follows: public posts carrying them show in the follower's home
feed) and when a user put away the getting-started steps shown after sign-up
(users.onboarding_dismissed_at).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tag_follows",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("tag_id", Id, sa.ForeignKey("tags.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.UniqueConstraint("account_id", "tag_id"))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("onboarding_dismissed_at", Timestamp, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("onboarding_dismissed_at")
    op.drop_table("tag_follows")

"""Remote accounts' counts as their own servers give them: the totalItems of the outbox,
followers and following collections, and when they were read.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOTALS = ("posts_total", "followers_total", "following_total")


def upgrade() -> None:
    for name in TOTALS:
        op.add_column("accounts", sa.Column(name, sa.BigInteger(), nullable=True))
    op.add_column("accounts",
                  sa.Column("totals_fetched_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:  # SQLite drops columns by copying
        for name in ("totals_fetched_at", *reversed(TOTALS)):
            batch.drop_column(name)

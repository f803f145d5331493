"""The servers a person blocks (account_domain_blocks, Mastodon's AccountDomainBlock): one row
per local account and remote domain, apart from the instance's own domain_blocks.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    # The unique pair is also the index every filter reads (account_id first).
    op.create_table(
        "account_domain_blocks",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.UniqueConstraint("account_id", "domain"))


def downgrade() -> None:
    op.drop_table("account_domain_blocks")

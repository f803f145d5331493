"""Partial indexes of suspended and silenced accounts: every timeline page asks which
accounts are suspended (and the public timelines which are silenced), and without an index
each page read the whole accounts table twice (issue 19: 2 of a local page's 2.4 ms on
PostgreSQL, ~5 ms of reading on SQLite at 10,000 accounts).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for name, column in (("ix_accounts_suspended", "suspended_at"),
                         ("ix_accounts_silenced", "silenced_at")):
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, "accounts", ["id"], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    op.drop_index("ix_accounts_silenced", table_name="accounts")
    op.drop_index("ix_accounts_suspended", table_name="accounts")

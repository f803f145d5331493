"""A user's preferences (issue 21, settings): new posts' default visibility and sensitive
mark, how sensitive media is shown (Mastodon's reading:expand:media) and reduced motion.
The defaults are what everyone had before: public, unmarked, sensitive media blurred,
motion on.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("default_visibility", sa.String(16), nullable=False,
                                   server_default="public"))
        batch.add_column(sa.Column("default_sensitive", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("expand_media", sa.String(16), nullable=False,
                                   server_default="default"))
        batch.add_column(sa.Column("reduce_motion", sa.Boolean, nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        for column in ("reduce_motion", "expand_media", "default_sensitive",
                       "default_visibility"):
            batch.drop_column(column)

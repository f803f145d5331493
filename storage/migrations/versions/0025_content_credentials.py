"""Content credentials (C2PA): the verdict on each image's manifest, kept with its row so a
post page never reads files (media_attachments: read back once signed; remote_media: the
fetched file, checked when cached). NULL: made or cached before credentials.

Plain ADD COLUMN and DROP COLUMN on both databases (no batch copy, SQLite 3.35 and later
drops a column in place): both tables carry the post-search triggers of 0021, which a SQLite
table copy would break.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("media_attachments", "remote_media"):
        op.add_column(table, sa.Column("credentials", sa.String(16), nullable=True))


def downgrade() -> None:
    for table in ("media_attachments", "remote_media"):
        op.drop_column(table, "credentials")

"""Remote content: cached copies of remote media and avatars, tombstones of objects deleted
before we saw them, and indexes for public and hashtag timelines.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True)

MEDIA_COLUMNS = [
    sa.Column("cache_state", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("cached_key", sa.String(512), nullable=True),
    sa.Column("cached_type", sa.String(64), nullable=True),
    sa.Column("thumb_key", sa.String(512), nullable=True),
    sa.Column("cache_error", sa.Text(), nullable=True),
    sa.Column("cached_at", Timestamp, nullable=True),
]


def upgrade() -> None:
    # Plain ADD COLUMN: batch mode would recreate tables and lose expression indexes.
    for column in MEDIA_COLUMNS:
        op.add_column("remote_media", column)
    op.add_column("accounts", sa.Column("avatar_cached_key", sa.String(512), nullable=True))
    op.add_column("accounts", sa.Column("header_cached_key", sa.String(512), nullable=True))
    op.create_table(
        "tombstones",
        sa.Column("uri", sa.String(2048), primary_key=True),
        sa.Column("account_uri", sa.String(2048), nullable=False),
        sa.Column("deleted_at", Timestamp, nullable=False),
    )
    op.create_index("ix_statuses_visibility_id", "statuses", ["visibility", "id"])
    # A hashtag page walks its tag's posts newest first without sorting them all.
    op.create_index("ix_status_tags_tag_id_status_id", "status_tags", ["tag_id", "status_id"])


def downgrade() -> None:
    op.drop_index("ix_status_tags_tag_id_status_id", "status_tags")
    op.drop_index("ix_statuses_visibility_id", "statuses")
    op.drop_table("tombstones")
    op.drop_column("accounts", "header_cached_key")
    op.drop_column("accounts", "avatar_cached_key")
    for column in reversed(MEDIA_COLUMNS):
        op.drop_column("remote_media", column.name)

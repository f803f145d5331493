"""Posts: boosts, replies, AI provenance and counters on statuses; remote media, mentions,
tags, favourites and notifications.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)

STATUS_COLUMNS = [
    sa.Column("in_reply_to_uri", sa.String(2048), nullable=True),
    sa.Column("in_reply_to_account_id", Id, nullable=True),
    sa.Column("reblog_of_id", Id, nullable=True),
    sa.Column("caption", sa.Text(), nullable=False, server_default=""),
    sa.Column("idempotency_key", sa.String(255), nullable=True),
    sa.Column("generator_name", sa.String(255), nullable=True),
    sa.Column("prompt", sa.Text(), nullable=True),
    sa.Column("model", sa.String(128), nullable=True),
    sa.Column("seed", sa.BigInteger(), nullable=True),
    sa.Column("can_remix", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("remix_of_id", Id, nullable=True),
    sa.Column("remix_of_uri", sa.String(2048), nullable=True),
    sa.Column("replies_count", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("favourites_count", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("reblogs_count", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("remixes_count", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("edited_at", Timestamp, nullable=True),
]


def upgrade() -> None:
    # Plain ADD COLUMN: batch mode would recreate tables and lose expression indexes.
    for column in STATUS_COLUMNS:
        op.add_column("statuses", column)
    op.create_index("ix_statuses_reblog_of_id", "statuses", ["reblog_of_id"])
    op.create_index("ix_statuses_remix_of_id", "statuses", ["remix_of_id"])
    op.create_index("ux_statuses_idempotency", "statuses", ["account_id", "idempotency_key"],
                    unique=True)
    op.add_column("media_attachments",
                  sa.Column("position", sa.Integer(), nullable=False, server_default="0"))

    op.create_table(
        "remote_media",
        sa.Column("id", Id, primary_key=True),
        sa.Column("status_id", Id, sa.ForeignKey("statuses.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("blurhash", sa.String(64), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_index("ix_remote_media_status_id", "remote_media", ["status_id"])
    op.create_table(
        "mentions",
        sa.Column("id", Id, primary_key=True),
        sa.Column("status_id", Id, sa.ForeignKey("statuses.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.UniqueConstraint("status_id", "account_id"),
    )
    op.create_index("ix_mentions_account_id", "mentions", ["account_id"])
    op.create_table(
        "tags",
        sa.Column("id", Id, primary_key=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_table(
        "status_tags",
        sa.Column("status_id", Id, sa.ForeignKey("statuses.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("tag_id", Id, sa.ForeignKey("tags.id", ondelete="CASCADE"),
                  primary_key=True),
    )
    op.create_index("ix_status_tags_tag_id", "status_tags", ["tag_id"])
    op.create_table(
        "favourites",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("status_id", Id, sa.ForeignKey("statuses.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("uri", sa.String(2048), nullable=True, unique=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.UniqueConstraint("account_id", "status_id"),
    )
    op.create_index("ix_favourites_status_id", "favourites", ["status_id"])
    op.create_table(
        "notifications",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("from_account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("status_id", Id, sa.ForeignKey("statuses.id", ondelete="CASCADE"),
                  nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("read_at", Timestamp, nullable=True),
    )
    op.create_index("ix_notifications_account_id_id", "notifications", ["account_id", "id"])


def downgrade() -> None:
    for table in ("notifications", "favourites", "status_tags", "tags", "mentions",
                  "remote_media"):
        op.drop_table(table)
    op.drop_column("media_attachments", "position")
    for index in ("ux_statuses_idempotency", "ix_statuses_remix_of_id",
                  "ix_statuses_reblog_of_id"):
        op.drop_index(index, "statuses")
    for column in reversed(STATUS_COLUMNS):
        op.drop_column("statuses", column.name)

"""The Mastodon client API: OAuth apps, codes and tokens (hashed); bookmarks, pins, lists;
media promised before it exists (uploads in processing, images of running generations);
focal points; follow options (show reblogs, notify).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def _fk(column: str, target: str, *, nullable: bool = False, index: bool = False) -> sa.Column:
    return sa.Column(column, Id, sa.ForeignKey(target, ondelete="CASCADE"),
                     nullable=nullable, index=index)


def upgrade() -> None:
    op.create_table(
        "oauth_apps",
        sa.Column("id", Id, primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("website", sa.String(2048), nullable=True),
        sa.Column("redirect_uris", sa.JSON, nullable=False),
        sa.Column("scopes", sa.String(1024), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False, unique=True),
        sa.Column("client_secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False))
    op.create_table(
        "oauth_codes",
        sa.Column("id", Id, primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        _fk("app_id", "oauth_apps.id", index=True),
        _fk("user_id", "users.id", index=True),
        sa.Column("redirect_uri", sa.Text, nullable=False),
        sa.Column("scopes", sa.String(1024), nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=True),
        sa.Column("code_challenge_method", sa.String(16), nullable=True),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False))
    op.create_table(
        "oauth_tokens",
        sa.Column("id", Id, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        _fk("app_id", "oauth_apps.id", index=True),
        _fk("user_id", "users.id", nullable=True, index=True),
        sa.Column("scopes", sa.String(1024), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("last_used_at", Timestamp, nullable=True),
        sa.Column("revoked_at", Timestamp, nullable=True))
    for name in ("bookmarks", "status_pins"):
        op.create_table(
            name,
            sa.Column("id", Id, primary_key=True),
            _fk("account_id", "accounts.id"),
            _fk("status_id", "statuses.id", index=True),
            sa.Column("created_at", Timestamp, nullable=False),
            sa.UniqueConstraint("account_id", "status_id"))
    op.create_table(
        "lists",
        sa.Column("id", Id, primary_key=True),
        _fk("account_id", "accounts.id", index=True),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("replies_policy", sa.String(16), nullable=False),
        sa.Column("exclusive", sa.Boolean, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False))
    op.create_table(
        "list_members",
        sa.Column("id", Id, primary_key=True),
        _fk("list_id", "lists.id"),
        _fk("account_id", "accounts.id", index=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.UniqueConstraint("list_id", "account_id"))
    op.create_table(
        "pending_media",
        sa.Column("id", Id, primary_key=True),
        _fk("account_id", "accounts.id", index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        _fk("generation_id", "generations.id", nullable=True, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("upload_key", sa.String(512), nullable=True),
        sa.Column("upload_type", sa.String(64), nullable=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("focus_x", sa.Float, nullable=True),
        sa.Column("focus_y", sa.Float, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False))
    op.add_column("media_attachments", sa.Column("focus_x", sa.Float, nullable=True))
    op.add_column("media_attachments", sa.Column("focus_y", sa.Float, nullable=True))
    op.add_column("follows", sa.Column("show_reblogs", sa.Boolean, nullable=False,
                                       server_default=sa.true()))
    op.add_column("follows", sa.Column("notify", sa.Boolean, nullable=False,
                                       server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("follows") as batch:
        batch.drop_column("notify")
        batch.drop_column("show_reblogs")
    with op.batch_alter_table("media_attachments") as batch:
        batch.drop_column("focus_y")
        batch.drop_column("focus_x")
    for name in ("pending_media", "list_members", "lists", "status_pins", "bookmarks",
                 "oauth_tokens", "oauth_codes", "oauth_apps"):
        op.drop_table(name)

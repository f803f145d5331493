"""Initial schema: instance settings, accounts, keys, users, follows, statuses, jobs.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 64-bit ids; INTEGER on SQLite so the primary key is the rowid.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Timezone-aware on PostgreSQL; SQLite stores UTC and storage.types.UTCDateTime re-attaches it.
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "instance_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_table(
        "accounts",
        sa.Column("id", Id, primary_key=True),
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("domain", sa.String(255), nullable=True),
        sa.Column("actor_type", sa.String(32), nullable=False),
        sa.Column("uri", sa.String(2048), nullable=False, unique=True),
        sa.Column("url", sa.String(2048), nullable=True),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("inbox_url", sa.String(2048), nullable=False),
        sa.Column("shared_inbox_url", sa.String(2048), nullable=True),
        sa.Column("outbox_url", sa.String(2048), nullable=True),
        sa.Column("followers_url", sa.String(2048), nullable=True),
        sa.Column("following_url", sa.String(2048), nullable=True),
        sa.Column("manually_approves_followers", sa.Boolean(), nullable=False),
        sa.Column("discoverable", sa.Boolean(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("fetched_at", Timestamp, nullable=True),
        sa.Column("suspended_at", Timestamp, nullable=True),
        sa.Column("deleted_at", Timestamp, nullable=True),
    )
    domain = sa.column("domain")
    op.create_index("ux_accounts_local_username", "accounts", [sa.text("lower(username)")],
                    unique=True, sqlite_where=domain.is_(None),
                    postgresql_where=domain.is_(None))
    op.create_index("ux_accounts_remote_username", "accounts",
                    [sa.text("lower(username)"), "domain"], unique=True,
                    sqlite_where=domain.is_not(None), postgresql_where=domain.is_not(None))
    op.create_index("ix_accounts_domain", "accounts", ["domain"])

    op.create_table(
        "account_keys",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("key_id", sa.String(2048), nullable=False, unique=True),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("private_key_pem", sa.Text(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("fetched_at", Timestamp, nullable=True),
    )
    op.create_index("ix_account_keys_account_id", "account_keys", ["account_id"])

    op.create_table(
        "users",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False, unique=True),
        sa.Column("email", sa.String(320), nullable=True, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("last_login_at", Timestamp, nullable=True),
    )

    op.create_table(
        "follows",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("target_account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("uri", sa.String(2048), nullable=True, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.UniqueConstraint("account_id", "target_account_id"),
    )
    op.create_index("ix_follows_target_account_id", "follows", ["target_account_id"])

    op.create_table(
        "statuses",
        sa.Column("id", Id, primary_key=True),
        sa.Column("uri", sa.String(2048), nullable=False, unique=True),
        sa.Column("url", sa.String(2048), nullable=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("local", sa.Boolean(), nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("spoiler_text", sa.Text(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("in_reply_to_id", Id, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("deleted_at", Timestamp, nullable=True),
    )
    op.create_index("ix_statuses_account_id_id", "statuses", ["account_id", "id"])
    op.create_index("ix_statuses_local_id", "statuses", ["local", "id"])
    op.create_index("ix_statuses_in_reply_to_id", "statuses", ["in_reply_to_id"])

    op.create_table(
        "jobs",
        sa.Column("id", Id, primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_at", Timestamp, nullable=False),
        sa.Column("locked_by", sa.String(128), nullable=True),
        sa.Column("locked_until", Timestamp, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("dedupe_key", sa.String(512), nullable=True, unique=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
    )
    op.create_index("ix_jobs_state_run_at", "jobs", ["state", "run_at"])
    op.create_index("ix_jobs_state_locked_until", "jobs", ["state", "locked_until"])


def downgrade() -> None:
    for table in ("jobs", "statuses", "follows", "users", "account_keys", "accounts",
                  "instance_settings"):
        op.drop_table(table)

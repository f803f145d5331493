"""Interaction controls (GoToSocial's interactionPolicy): who may reply to, boost and like a
post (the author's choices on local posts and users' defaults, the stated policy on remote
ones), interactions waiting for approval both ways, and the requests our users decide.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def _approval_columns(table: str) -> None:
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("pending_approval", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("approved_by", sa.String(2048), nullable=True))


def upgrade() -> None:
    with op.batch_alter_table("statuses") as batch:
        batch.add_column(sa.Column("interaction_choices", sa.JSON, nullable=True))
        batch.add_column(sa.Column("interaction_policy", sa.JSON, nullable=True))
    _approval_columns("statuses")
    _approval_columns("favourites")
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("interaction_defaults", sa.JSON, nullable=False,
                                   server_default=sa.text("'{}'")))
    op.create_table(
        "interaction_requests",
        sa.Column("id", Id, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status_id", Id, sa.ForeignKey("statuses.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("interaction_uri", sa.String(2048), nullable=False, unique=True),
        sa.Column("request_uri", sa.String(2048), nullable=True),
        sa.Column("body", sa.JSON, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False))
    op.create_index("ix_interaction_requests_state_id", "interaction_requests",
                    ["state", "id"])


def downgrade() -> None:
    op.drop_table("interaction_requests")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("interaction_defaults")
    for table in ("favourites", "statuses"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("approved_by")
            batch.drop_column("pending_approval")
    with op.batch_alter_table("statuses") as batch:
        batch.drop_column("interaction_policy")
        batch.drop_column("interaction_choices")

"""Media: image generations, per-day generation quotas, and stored media attachments.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "generations",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("size", sa.String(16), nullable=False),
        sa.Column("quality", sa.String(16), nullable=False),
        sa.Column("style", sa.String(32), nullable=True),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("source_media_id", Id, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("started_at", Timestamp, nullable=True),
        sa.Column("finished_at", Timestamp, nullable=True),
        sa.UniqueConstraint("account_id", "idempotency_key",
                            name="uq_generations_account_idempotency_key"),
    )
    op.create_index("ix_generations_account_id_id", "generations", ["account_id", "id"])

    op.create_table(
        "generation_quotas",
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("used", sa.Integer(), nullable=False),
    )

    op.create_table(
        "media_attachments",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("generation_id", Id, sa.ForeignKey("generations.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("status_id", Id, sa.ForeignKey("statuses.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("original_key", sa.String(512), nullable=False),
        sa.Column("original_type", sa.String(64), nullable=False),
        sa.Column("original_size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("jpeg_key", sa.String(512), nullable=False),
        sa.Column("jpeg_size", sa.Integer(), nullable=False),
        sa.Column("webp_key", sa.String(512), nullable=False),
        sa.Column("webp_size", sa.Integer(), nullable=False),
        sa.Column("display_width", sa.Integer(), nullable=False),
        sa.Column("display_height", sa.Integer(), nullable=False),
        sa.Column("thumb_key", sa.String(512), nullable=False),
        sa.Column("thumb_size", sa.Integer(), nullable=False),
        sa.Column("thumb_width", sa.Integer(), nullable=False),
        sa.Column("thumb_height", sa.Integer(), nullable=False),
        sa.Column("blurhash", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("generator", sa.String(255), nullable=False),
        sa.Column("digital_source_type", sa.String(64), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
    )
    op.create_index("ix_media_attachments_generation_id", "media_attachments",
                    ["generation_id"])
    op.create_index("ix_media_attachments_status_id", "media_attachments", ["status_id"])
    op.create_index("ix_media_attachments_sha256", "media_attachments", ["sha256"])
    op.create_index("ix_media_attachments_account_id_id", "media_attachments",
                    ["account_id", "id"])


def downgrade() -> None:
    for table in ("media_attachments", "generation_quotas", "generations"):
        op.drop_table(table)

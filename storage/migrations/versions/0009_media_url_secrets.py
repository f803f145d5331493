"""A random secret in each new media URL (/media/{id}/{secret}/{file}), so the images of
followers-only posts and unposted generations cannot be found by counting time-based ids.
Existing rows keep their URLs (already federated; URLs never change): their secret is NULL.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("media_attachments",
                  sa.Column("url_secret", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("media_attachments") as batch:
        batch.drop_column("url_secret")

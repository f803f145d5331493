"""A random secret in each cached remote image's URL (/media/remote/{id}/{secret}/{file}), as
local media got in 0009: the cached copies of a remote followers-only post's images cannot be
found by counting time-based ids. Rows cached before keep their URLs: their secret is NULL.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("remote_media", sa.Column("url_secret", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("remote_media") as batch:
        batch.drop_column("url_secret")

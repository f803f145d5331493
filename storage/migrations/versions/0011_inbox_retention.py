"""Received activities: deduplicated per signing origin, bodies dropped, purged by age.

- `origin` (scheme://host[:port] of the signer's keyId) joins the activity id in the unique
  key: a server can no longer claim another server's activity id (a predictable
  `<post>#delete`) first and so have the real one answered "already received".
- `body` may be NULL: it is dropped once the activity is applied or ignored.
- an index on `received_at`, for the purge of rows older than the retention.

Existing rows get their origin from signer_key_id (else actor_uri). The old unique
constraint on activity_id is unnamed on SQLite, so the table is recreated there from a
description of its present shape without it (batch mode's copy_from); PostgreSQL named it
inbox_activities_activity_id_key.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from collections.abc import Sequence
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)
UNIQUE = "uq_inbox_activities_activity_id_origin"
CHUNK = 5000


def _origin(url: str | None) -> str:
    """As activitypub.parse.origin_of at the time of writing (migrations do not import
    application code, which may change)."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return ""
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme.lower()}://{parts.netloc.rpartition('@')[2].lower()}"


def _backfill() -> None:
    conn = op.get_bind()
    table = sa.table("inbox_activities", sa.column("id", Id),
                     sa.column("signer_key_id", sa.String), sa.column("actor_uri", sa.String),
                     sa.column("origin", sa.String))
    last = -(2**63)
    while True:
        rows = conn.execute(sa.select(table.c.id, table.c.signer_key_id, table.c.actor_uri)
                            .where(table.c.id > last).order_by(table.c.id).limit(CHUNK)).all()
        if not rows:
            return
        conn.execute(table.update().where(table.c.id == sa.bindparam("row_id"))
                     .values(origin=sa.bindparam("new_origin")),
                     [{"row_id": row_id, "new_origin": _origin(key_id or actor)}
                      for row_id, key_id, actor in rows])
        last = rows[-1][0]


def _sqlite_table_as_it_is() -> sa.Table:
    """inbox_activities as 0002 made it, plus `origin`, without its unnamed UNIQUE."""
    return sa.Table(
        "inbox_activities", sa.MetaData(),
        sa.Column("id", Id, primary_key=True),
        sa.Column("activity_id", sa.String(2048), nullable=False),
        sa.Column("activity_type", sa.String(64), nullable=False),
        sa.Column("actor_uri", sa.String(2048), nullable=False),
        sa.Column("signer_key_id", sa.String(2048), nullable=True),
        sa.Column("signer_uri", sa.String(2048), nullable=True),
        sa.Column("inbox_account_id", Id, nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("received_at", Timestamp, nullable=False),
        sa.Column("processed_at", Timestamp, nullable=True),
        sa.Column("origin", sa.String(2048), nullable=True),
    )


def upgrade() -> None:
    op.add_column("inbox_activities", sa.Column("origin", sa.String(2048), nullable=True))
    _backfill()
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("inbox_activities", recreate="always",
                                  copy_from=_sqlite_table_as_it_is()) as batch:
            batch.alter_column("origin", existing_type=sa.String(2048), nullable=False)
            batch.alter_column("body", existing_type=sa.JSON(), nullable=True)
            batch.create_unique_constraint(UNIQUE, ["activity_id", "origin"])
    else:
        op.drop_constraint("inbox_activities_activity_id_key", "inbox_activities",
                           type_="unique")
        op.alter_column("inbox_activities", "origin", existing_type=sa.String(2048),
                        nullable=False)
        op.alter_column("inbox_activities", "body", existing_type=sa.JSON(), nullable=True)
        op.create_unique_constraint(UNIQUE, "inbox_activities", ["activity_id", "origin"])
    op.create_index("ix_inbox_activities_received_at", "inbox_activities", ["received_at"])


def downgrade() -> None:
    # The old schema wants a body, and one row per id: the first one received stays.
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE inbox_activities SET body = '{}' WHERE body IS NULL"))
    conn.execute(sa.text(
        "DELETE FROM inbox_activities WHERE id NOT IN "
        "(SELECT MIN(id) FROM inbox_activities GROUP BY activity_id)"))
    op.drop_index("ix_inbox_activities_received_at", "inbox_activities")
    with op.batch_alter_table("inbox_activities") as batch:
        batch.drop_constraint(UNIQUE, type_="unique")
        batch.drop_column("origin")
        batch.alter_column("body", existing_type=sa.JSON(), nullable=False)
        batch.create_unique_constraint("inbox_activities_activity_id_key", ["activity_id"])

"""Full-text search of posts: the status_search index (storage/post_search.py), kept in
step by triggers on statuses, media_attachments and remote_media, and filled from the posts
already stored.

SQLite: an FTS5 table whose rowid is the status id. PostgreSQL: a table of tsvectors under a
GIN index, refreshed by status_search_refresh(id). A post is indexed while it is live and not
a boost; its document is its caption (a remote post's content, without its HTML), content
warning, published prompt and its images' alt text.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-09
"""

# The DDL below is put together from this file's own constants: no outside text reaches it.
# ruff: noqa: S608

from collections.abc import Sequence

from alembic import op

from storage.post_search import HTML_TEXT_FUNCTION, register_sqlite_functions

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What a post's document is made of: the same parts in both dialects.
_SQLITE_DOCUMENT = f"""
    CASE WHEN s.caption <> '' THEN s.caption ELSE {HTML_TEXT_FUNCTION}(s.content) END
    || ' ' || s.spoiler_text || ' ' || coalesce(s.prompt, '')
    || ' ' || coalesce((SELECT group_concat(m.description, ' ') FROM media_attachments m
                        WHERE m.status_id = s.id), '')
    || ' ' || coalesce((SELECT group_concat(r.description, ' ') FROM remote_media r
                        WHERE r.status_id = s.id), '')"""
_LIVE = "s.deleted_at IS NULL AND s.reblog_of_id IS NULL"

# Triggers: (name, event, table, WHEN condition or "", status ids to refresh).
_POST_COLUMNS = ("content", "caption", "spoiler_text", "prompt", "deleted_at", "reblog_of_id")
_STATUS_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _POST_COLUMNS)
_MEDIA_CHANGED = ("OLD.description IS DISTINCT FROM NEW.description "
                  "OR OLD.status_id IS DISTINCT FROM NEW.status_id")


def _triggers() -> list[tuple[str, str, str, str, tuple[str, ...]]]:
    found: list[tuple[str, str, str, str, tuple[str, ...]]] = [
        ("status_search_post_insert", "INSERT", "statuses", "", ("NEW.id",)),
        ("status_search_post_update", "UPDATE OF " + ", ".join(_POST_COLUMNS), "statuses",
         _STATUS_CHANGED, ("NEW.id",)),
    ]
    for short, table in (("media", "media_attachments"), ("remote", "remote_media")):
        found += [
            (f"status_search_{short}_insert", "INSERT", table, "NEW.status_id IS NOT NULL",
             ("NEW.status_id",)),
            (f"status_search_{short}_update", "UPDATE OF description, status_id", table,
             _MEDIA_CHANGED, ("OLD.status_id", "NEW.status_id")),
            (f"status_search_{short}_delete", "DELETE", table, "OLD.status_id IS NOT NULL",
             ("OLD.status_id",)),
        ]
    return found


def _sqlite_refresh(status_id: str) -> str:
    return (f"DELETE FROM status_search WHERE rowid = {status_id};\n"
            f"INSERT INTO status_search (rowid, body) SELECT s.id, {_SQLITE_DOCUMENT}\n"
            f"  FROM statuses s WHERE s.id = {status_id} AND {_LIVE};\n")


def _upgrade_sqlite() -> None:
    # The backfill and the triggers it fires call the HTML function on this connection,
    # which `alembic upgrade` from the command line opened without it.
    register_sqlite_functions(op.get_bind().connection.dbapi_connection)
    op.execute("CREATE VIRTUAL TABLE status_search USING fts5("
               "body, tokenize = 'unicode61 remove_diacritics 2')")
    for name, event, table, when, ids in _triggers():
        # SQLite's IS NOT is the null-safe inequality.
        condition = f" WHEN {when.replace('IS DISTINCT FROM', 'IS NOT')}" if when else ""
        body = "".join(_sqlite_refresh(i) for i in ids)
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW"
                   f"{condition} BEGIN\n{body}END")
    op.execute(f"INSERT INTO status_search (rowid, body) SELECT s.id, {_SQLITE_DOCUMENT} "
               f"FROM statuses s WHERE {_LIVE}")


_POSTGRES_DOCUMENT = """to_tsvector('simple', concat_ws(' ',
        CASE WHEN s.caption <> '' THEN s.caption ELSE s.content END, s.spoiler_text, s.prompt,
        (SELECT string_agg(m.description, ' ') FROM media_attachments m
         WHERE m.status_id = s.id),
        (SELECT string_agg(r.description, ' ') FROM remote_media r WHERE r.status_id = s.id)))"""


def _upgrade_postgresql() -> None:
    op.execute("CREATE TABLE status_search ("
               "status_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE, "
               "document TSVECTOR NOT NULL)")
    op.execute("CREATE INDEX ix_status_search_document ON status_search USING GIN (document)")
    # An upsert, not delete-and-insert: two transactions refreshing one post (two of its
    # images edited side by side) must not both insert it.
    op.execute(f"""
        CREATE FUNCTION status_search_refresh(post_id BIGINT) RETURNS void AS $$
        BEGIN
            IF post_id IS NULL THEN
                RETURN;
            END IF;
            DELETE FROM status_search WHERE status_id = post_id AND NOT EXISTS (
                SELECT 1 FROM statuses s WHERE s.id = post_id AND {_LIVE});
            INSERT INTO status_search (status_id, document)
                SELECT s.id, {_POSTGRES_DOCUMENT}
                FROM statuses s WHERE s.id = post_id AND {_LIVE}
                ON CONFLICT (status_id) DO UPDATE SET document = EXCLUDED.document;
        END
        $$ LANGUAGE plpgsql""")
    for name, event, table, when, ids in _triggers():
        calls = "".join(f"PERFORM status_search_refresh({i}); " for i in ids)
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN {calls}"
                   "RETURN NULL; END $$ LANGUAGE plpgsql")
        condition = f" WHEN ({when})" if when else ""
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW"
                   f"{condition} EXECUTE FUNCTION {name}()")
    op.execute(f"INSERT INTO status_search (status_id, document) "
               f"SELECT s.id, {_POSTGRES_DOCUMENT} FROM statuses s WHERE {_LIVE}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
    else:
        _upgrade_postgresql()


def downgrade() -> None:
    postgres = op.get_bind().dialect.name != "sqlite"
    for name, _event, table, _when, _ids in _triggers():
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute("DROP TABLE IF EXISTS status_search")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS status_search_refresh(BIGINT)")

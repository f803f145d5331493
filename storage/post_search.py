"""Full-text search of posts: their caption (a remote post's content, its HTML left out),
content warning, the alt text of their images, and the prompt where the author published it.

The index is `status_search`, made by migration 0020, one row per live post that is not a
boost, kept in step by triggers on `statuses`, `media_attachments` and `remote_media`, so
every write path (the composer, edits, inbound Creates and Updates, deletions, account
purges, a prompt published or taken back) keeps it right without knowing of it:

- SQLite: an FTS5 table (`unicode61`, diacritics folded), rowid = the status id. Its
  triggers take a remote post's text out of its HTML with `dreamfeed_html_text`, a function
  every connection registers (register_sqlite_functions; storage.database does it, and so
  does the migration for its backfill): a connection without it cannot write posts.
- PostgreSQL: a table of `tsvector`s (the `simple` configuration: posts come in every
  language, so no stemming) under a GIN index, refreshed by a PL/pgSQL function; its text
  parser drops HTML tags by itself.

A query is its words, all required, the last one also as a prefix ("sunse" finds "sunset");
results are newest first, filtered by who may see them (storage.timelines.visible_to), as a
timeline is.
"""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Select,
    Table,
    Text,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.account_domain_blocks import domain_blocked_ids
from storage.models import Account, Status
from storage.pagination import Page, apply_page, finish_page
from storage.timelines import followed_ids, muted_ids, not_restricted, visible_to

HTML_TEXT_FUNCTION = "dreamfeed_html_text"
MAX_WORDS = 8
# A prefix of one or two letters would match most of the index.
MIN_PREFIX = 3

# Quoted attribute values may hold ">" (a link's URL); sanitized content holds no other "<".
_TAG = re.compile(r"<(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")
# What both tokenizers count as a word's letters (FTS5's unicode61 splits on "_" too).
_WORD = re.compile(r"[^\W_]+")

# Not models: neither is a table the application writes (the triggers do), and SQLite's is
# virtual. Declared here for the two queries below.
_sqlite_index = Table("status_search", MetaData(), Column("rowid", Integer),
                      Column("body", Text))
_postgres_index = Table("status_search", MetaData(), Column("status_id", BigInteger),
                        Column("document", Text))


def html_text(content: str | None) -> str:
    """A post's HTML as the words a reader sees (tags out, entities decoded)."""
    if not content:
        return ""
    return html.unescape(_TAG.sub(" ", content))


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """Give a SQLite connection the function the index's triggers call."""
    dbapi_connection.create_function(HTML_TEXT_FUNCTION, 1, html_text, deterministic=True)


def query_words(text: str) -> list[str]:
    """The words of a search, lowercase, at most MAX_WORDS."""
    return _WORD.findall(text.lower())[:MAX_WORDS]


def _sqlite_match(words: list[str]) -> str:
    # Each word a quoted string (so nothing in it is FTS5 syntax), all required.
    terms = [f'"{word}"' for word in words]
    if len(words[-1]) >= MIN_PREFIX:
        terms[-1] += "*"
    return " ".join(terms)


def _postgres_query(words: list[str]) -> str:
    terms = [f"'{word}'" for word in words]
    if len(words[-1]) >= MIN_PREFIX:
        terms[-1] += ":*"
    return " & ".join(terms)


def _matching(dialect: str, words: list[str]) -> Select[Any]:
    """The ids of indexed posts holding all the words."""
    if dialect == "sqlite":
        return select(_sqlite_index.c.rowid).where(
            literal_column("status_search").op("MATCH")(_sqlite_match(words)))
    return select(_postgres_index.c.status_id).where(
        _postgres_index.c.document.op("@@")(func.to_tsquery("simple",
                                                            _postgres_query(words))))


def _searchable_author(viewer_id: int | None) -> ColumnElement[bool]:
    """Whose posts a search finds: authors who let themselves be found (`discoverable`,
    which this server also states as `indexable`, the word Mastodon's full-text search
    follows), and for a viewer, its own and those of the accounts it follows."""
    discoverable = select(Account.id).where(Account.discoverable.is_(True))
    if viewer_id is None:
        return Status.account_id.in_(discoverable)
    return or_(Status.account_id.in_(discoverable), Status.account_id == viewer_id,
               Status.account_id.in_(followed_ids(viewer_id)))


def search_query(dialect: str, text: str, viewer_id: int | None, *,
                 account_id: int | None = None) -> Select[int] | None:
    """The ids of the posts matching `text` that the viewer may see (None: the text has no
    words to search for). Muted accounts, and accounts on servers the viewer blocks, are
    left out as on the public timelines."""
    words = query_words(text)
    if not words:
        return None
    stmt = select(Status.id).where(
        Status.id.in_(_matching(dialect, words)), Status.reblog_of_id.is_(None),
        visible_to(Status, viewer_id), not_restricted(Status.account_id, viewer_id),
        _searchable_author(viewer_id))
    if viewer_id is not None:
        # and the servers the viewer blocks, as Mastodon's StatusFilter#blocking_domain?
        stmt = stmt.where(Status.account_id.not_in(muted_ids(viewer_id)),
                          Status.account_id.not_in(domain_blocked_ids(viewer_id)))
    if account_id is not None:
        stmt = stmt.where(Status.account_id == account_id)
    return stmt


async def search(session: AsyncSession, text: str, viewer_id: int | None, page: Page, *,
                 account_id: int | None = None, offset: int = 0) -> list[int]:
    """A page of matching post ids, newest first (max_id/min_id bound it; offset skips)."""
    stmt = search_query(session.get_bind().dialect.name, text, viewer_id, account_id=account_id)
    if stmt is None:
        return []
    paged = apply_page(stmt, Status.id, page)
    if offset:
        paged = paged.offset(offset)
    rows = (await session.execute(paged)).scalars().all()
    return finish_page(list(rows), page)


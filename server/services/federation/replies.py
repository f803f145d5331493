"""A local post's `replies` collection, as Mastodon's ActivityPub::RepliesController serves
it: pages of the ids of its public and unlisted replies (ours and the remote ones stored
here; followers-only and direct ones never), the author's own replies first, then, from
`?only_other_accounts=true`, everyone else's; oldest first, paged by `min_id`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from server.services.context import Services
from storage import statuses as status_queries
from storage.models import Status

# Replies on one page (Mastodon's DESCENDANTS_LIMIT).
PAGE_SIZE = 60
# The author's own replies a Note carries in `replies.first` (note_serializer.rb's
# self_replies(5)).
NOTE_PREVIEW = 5


@dataclass(frozen=True)
class RepliesPage:
    items: list[str]  # the replies' ids (uris)
    # The next page: its min_id (None: from the start) and whether it lists other accounts'
    # replies; no next page when `has_next` is false.
    has_next: bool
    next_min_id: int | None = None
    next_only_other_accounts: bool = False


@dataclass(frozen=True)
class SelfReplies:
    """What a Note embeds: its author's first replies and the last one's id."""

    uris: list[str]
    last_id: int | None


async def self_replies(session: AsyncSession, status: Status) -> SelfReplies:
    rows = await status_queries.public_replies(session, status.id, status.account_id,
                                               own=True, after_id=None, limit=NOTE_PREVIEW)
    return SelfReplies([uri for _, uri in rows], rows[-1][0] if rows else None)


async def replies_page(services: Services, status: Status, *, only_other_accounts: bool,
                       min_id: int | None) -> RepliesPage:
    """One page. The author's pages always lead on: to the next of the author's while a page
    is full, else to the other accounts' first; theirs lead on while a page is full (Mastodon's
    next_page)."""
    async with services.db.reader() as session:
        rows = await status_queries.public_replies(
            session, status.id, status.account_id, own=not only_other_accounts,
            after_id=min_id, limit=PAGE_SIZE)
    items = [uri for _, uri in rows]
    full = len(rows) == PAGE_SIZE
    if only_other_accounts:
        return RepliesPage(items, has_next=full, next_min_id=rows[-1][0] if full else None,
                           next_only_other_accounts=True)
    if full:
        return RepliesPage(items, has_next=True, next_min_id=rows[-1][0])
    return RepliesPage(items, has_next=True, next_only_other_accounts=True)

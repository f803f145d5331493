"""Discover: recent popular AI images made on this instance, ranked by what people did with
them (likes + boosts + remixes), each with a line saying why it is shown."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta

from server.services.context import Services
from server.services.reading.post_cards import PostCard, cards
from server.services.social import filters
from storage import discover as queries
from storage import timelines as timeline_queries
from storage.types import utcnow

WINDOW = timedelta(days=7)
PAGE_SIZE = 20
# Ranked lists are paged by offset; past this depth nothing is "popular" any more.
MAX_OFFSET = 200


@dataclass(frozen=True)
class DiscoverPage:
    cards: list[PostCard]
    next_offset: int | None  # where the next page starts; None at the end


def _counted(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def why_line(card: PostCard) -> str:
    """"12 likes, 3 boosts and 2 remixes this week" (only the non-zero parts)."""
    parts = [_counted(n, one, many) for n, one, many in (
        (card.favourites_count, "like", "likes"), (card.reblogs_count, "boost", "boosts"),
        (card.remixes_count, "remix", "remixes")) if n > 0]
    if not parts:
        return "New this week"
    listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    return f"{listed} this week"


async def popular(services: Services, *, viewer_account_id: int | None,
                  offset: int = 0) -> DiscoverPage:
    """A page of Discover as the viewer sees it: their blocks, mutes and "public" filters
    apply as on the local timeline."""
    offset = max(0, min(offset, MAX_OFFSET))
    async with services.db.reader() as session:
        ids = await queries.popular_local(session, viewer_account_id, since=utcnow() - WINDOW,
                                          offset=offset, limit=PAGE_SIZE)
        warnings: dict[int, tuple[str, ...]] = {}
        shown = ids
        if viewer_account_id is not None and ids:
            entries = await timeline_queries.load(session, ids)
            kept, warnings = await filters.screen(session, viewer_account_id, entries,
                                                  "public")
            shown = [entry.status.id for entry in kept]
        made = await cards(services, session, shown, viewer_account_id=viewer_account_id)
    page = [dataclasses.replace(card, why=why_line(card),
                                filtered=warnings.get(card.id, ())) for card in made]
    more = len(ids) == PAGE_SIZE and offset + PAGE_SIZE < MAX_OFFSET
    return DiscoverPage(page, offset + PAGE_SIZE if more else None)

"""Discover: recent popular AI images made on this instance, ranked by what people did with
them (likes + boosts + remixes), each with a line saying why it is shown."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta

from server.i18n import format_list, ngettext
from server.i18n import gettext as _
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


def why_line(card: PostCard) -> str:
    """"12 likes, 3 boosts and 2 remixes this week" (only the non-zero parts), in the
    request's language."""
    parts = []
    if card.favourites_count:
        parts.append(ngettext("%(num)s like", "%(num)s likes", card.favourites_count))
    if card.reblogs_count:
        parts.append(ngettext("%(num)s boost", "%(num)s boosts", card.reblogs_count))
    if card.remixes_count:
        parts.append(ngettext("%(num)s remix", "%(num)s remixes", card.remixes_count))
    if not parts:
        return _("New this week")
    return _("%(counts)s this week", counts=format_list(parts))


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

"""Trends for the client API (/api/v1/trends/...): the hashtags most used this week, and the
posts Discover ranks (server.services.reading.discover), each as the viewer may see them.
We follow no links, so there are no trending links."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from server.render.to_mastodon.instance import TagParts
from server.render.to_mastodon.parts import StatusParts
from server.render.to_mastodon.tags import TagDay
from server.services.context import Services
from server.services.reading.discover import MAX_OFFSET, WINDOW
from server.services.reading.entities import statuses_in_order
from server.services.social import filters
from server.services.statuses.content import AI_TAG
from storage import discover as queries
from storage import timelines as timeline_queries
from storage.types import utcnow

# Days of history each tag carries (Mastodon: the last week, today first).
HISTORY_DAYS = 7


async def tags(services: Services, *, offset: int, limit: int) -> list[TagParts]:
    """The hashtags of the week's public posts, used by the most people first. The AI label
    every Dreamfeed post carries says nothing about what is popular: it is left out."""
    now = utcnow()
    today = now.date()
    since = datetime.combine(today - timedelta(days=HISTORY_DAYS - 1), time.min,
                             tzinfo=now.tzinfo)
    offset = max(0, min(offset, MAX_OFFSET))
    async with services.db.reader() as session:
        found = await queries.popular_tags(session, since=since, exclude=[AI_TAG.lower()],
                                           offset=offset, limit=limit)
        days = await queries.tag_days(session, [tag_id for tag_id, _ in found], since=since)
    return [TagParts(tag_id, name, tuple(
        TagDay(day, *days.get(tag_id, {}).get(day, (0, 0)))
        for day in (today - timedelta(days=back) for back in range(HISTORY_DAYS))))
        for tag_id, name in found]


async def statuses(services: Services, *, viewer_account_id: int | None, offset: int,
                   limit: int) -> list[StatusParts]:
    """Discover's ranking: the week's local image posts with the most likes, boosts and
    remixes, as the viewer sees them (their blocks, mutes and "public" filters apply)."""
    offset = max(0, min(offset, MAX_OFFSET))
    async with services.db.reader() as session:
        ids = await queries.popular_local(session, viewer_account_id,
                                          since=utcnow() - WINDOW, offset=offset, limit=limit)
        if viewer_account_id is not None and ids:
            entries = await timeline_queries.load(session, ids)
            kept, _ = await filters.screen(session, viewer_account_id, entries, "public")
            ids = [entry.status.id for entry in kept]
    return await statuses_in_order(services, ids, viewer_account_id=viewer_account_id)

"""The client API's timelines: home, public, hashtag and list, as pages of Status parts.

Who sees what is decided by the queries in storage/timelines.py and the viewer's filters
(server.services.reading.timelines.screened_entries, shared with the web app); this module
turns a screened page into the entities' parts. A page's items are its timeline entries: a
boost is the boost row with the boosted status inside, and the entry ids are the cursors
(max_id, min_id) the Link header offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.render.to_mastodon.parts import FilterMatch, StatusParts
from server.services.context import Services
from server.services.errors import NotFound
from server.services.reading.entities import load_statuses
from server.services.reading.timelines import Fetch, screened_entries
from storage import filters as filter_queries
from storage import lists as list_queries
from storage import tags as tag_queries
from storage import timelines as queries
from storage.pagination import Page
from storage.timelines import PublicOptions, TagOptions
from storage.types import utcnow

# What the public and hashtag timelines may be narrowed to: local, remote, only_media.
Narrowing = PublicOptions

# Mastodon's TagFeed takes at most this many tags from each of any[], all[] and none[].
MAX_EXTRA_TAGS = 4


@dataclass(frozen=True)
class StatusPage:
    statuses: list[StatusParts]
    ids: list[int]  # the entries' ids, in page order: the Link header's cursors


async def warn_matches(session: AsyncSession, viewer_id: int, context: str,
                       warnings: dict[int, tuple[str, ...]]) -> dict[int, tuple[FilterMatch, ...]]:
    """The viewer's warn filters behind each warned phrase (keys: whatever `warnings` is
    keyed by), for Status.filtered."""
    if not warnings:
        return {}
    by_phrase: dict[str, list[FilterMatch]] = {}
    for row in await filter_queries.active_filters(session, viewer_id, utcnow()):
        if row.action == "warn" and context in row.contexts:
            by_phrase.setdefault(row.phrase, []).append(FilterMatch(
                id=row.id, phrase=row.phrase, whole_word=row.whole_word,
                contexts=tuple(row.contexts), expires_at=row.expires_at))
    return {key: tuple(m for phrase in phrases for m in by_phrase.get(phrase, []))
            for key, phrases in warnings.items()}


def with_filtered(parts: StatusParts, matches: tuple[FilterMatch, ...]) -> StatusParts:
    """The status shown behind these filters; a boost carries them too, on itself and on the
    boosted status (clients look at either)."""
    if not matches:
        return parts
    if parts.reblog is not None:
        return replace(parts, filtered=matches, reblog=replace(parts.reblog, filtered=matches))
    return replace(parts, filtered=matches)


async def _page(services: Services, session: AsyncSession, viewer_id: int | None,
                page: Page, context: str, fetch: Fetch) -> StatusPage:
    entries, warnings = await screened_entries(session, viewer_id, page, context, fetch)
    ids = [entry.entry.id for entry in entries]
    made = await load_statuses(services, session, ids, viewer_account_id=viewer_id)
    matches = await warn_matches(session, viewer_id, context, warnings) \
        if viewer_id is not None else {}
    statuses = [with_filtered(made[entry.entry.id], matches.get(entry.status.id, ()))
                for entry in entries if entry.entry.id in made]
    return StatusPage(statuses, [parts.status.id for parts in statuses])


async def home(services: Services, viewer_id: int, page: Page) -> StatusPage:
    async with services.db.reader() as session:
        return await _page(services, session, viewer_id, page, "home",
                           lambda p: queries.home_page(session, viewer_id, p))


async def public(services: Services, viewer_id: int | None, page: Page,
                 options: Narrowing) -> StatusPage:
    """The federated timeline, or with options.local the local one."""
    async with services.db.reader() as session:
        stmt = queries.federated_query(viewer_id, options)
        return await _page(services, session, viewer_id, page, "public",
                           lambda p: queries.timeline(session, stmt, p))


def _tag_name(raw: str) -> str:
    return raw.strip().lstrip("#").lower()


async def hashtag(services: Services, viewer_id: int | None, tag: str, page: Page,
                  options: Narrowing, *, any_tags: Sequence[str] = (),
                  all_tags: Sequence[str] = (), none_tags: Sequence[str] = ()) -> StatusPage:
    """Public statuses carrying `tag` (any case), or one of `any_tags` too, and each of
    `all_tags`, and none of `none_tags`. A tag nobody used gives an empty page."""
    extra = {name: [_tag_name(t) for t in tags][:MAX_EXTRA_TAGS]
             for name, tags in (("any", any_tags), ("all", all_tags), ("none", none_tags))}
    async with services.db.reader() as session:
        known = await tag_queries.tag_ids(
            session, [_tag_name(tag), *extra["any"], *extra["all"], *extra["none"]])
        base = known.get(_tag_name(tag))
        candidates = [*([base] if base is not None else []),
                      *(known[t] for t in extra["any"] if t in known)]
        if not candidates or any(t not in known for t in extra["all"]):
            return StatusPage([], [])
        tags = TagOptions(any=tuple(candidates[1:]), all=tuple(known[t] for t in extra["all"]),
                          none=tuple(known[t] for t in extra["none"] if t in known))
        stmt = queries.hashtag_query(candidates[0], viewer_id, options, tags)
        return await _page(services, session, viewer_id, page, "public",
                           lambda p: queries.timeline(session, stmt, p))


async def list_timeline(services: Services, viewer_id: int, list_id: int,
                        page: Page) -> StatusPage:
    """One of the viewer's lists (NotFound for anyone else's)."""
    async with services.db.reader() as session:
        found = await list_queries.own_list(session, viewer_id, list_id)
        if found is None:
            raise NotFound(N_("Record not found"))
        stmt = queries.list_query(found.id, viewer_id, found.replies_policy)
        return await _page(services, session, viewer_id, page, "home",
                           lambda p: queries.timeline(session, stmt, p))

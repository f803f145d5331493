"""Followed hashtags (Mastodon's TagFollow, /api/v1/tags/:name/follow): public posts carrying
a followed tag show in the follower's home feed (storage.timelines.home_query). Private to the
user and never federated: nothing is sent anywhere."""

from __future__ import annotations

import re
from dataclasses import dataclass

from server.i18n import N_
from server.render.text import normalize_tag
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound
from storage import statuses as status_queries
from storage import tag_follows as follow_queries
from storage import tags as tag_queries
from storage.pagination import Page

MAX_TAG = 255
# Word characters and Mastodon's separators, at least one letter (as server.render.text).
_VALID = re.compile(r"(?=[\w\u00b7\u30fb\u200c]*[^\W\d_])[\w\u00b7\u30fb\u200c]+")


@dataclass(frozen=True)
class FollowedTag:
    follow_id: int  # the page cursor
    tag_id: int
    name: str


@dataclass(frozen=True)
class TagState:
    """A hashtag and whether the viewer follows it (Mastodon's Tag entity's `following`)."""

    tag_id: int
    name: str
    following: bool


def tag_name(raw: str) -> str:
    """A hashtag's stored (lowercase) name from what a person typed: '#Sunset' -> 'sunset'."""
    name = normalize_tag(raw.strip().lstrip("#\uff03"))
    if not name or len(name) > MAX_TAG or not _VALID.fullmatch(name):
        raise InvalidInput(N_("that is not a hashtag: use letters, digits and underscores"))
    return name


async def follow_tag(services: Services, account_id: int, raw: str) -> TagState:
    """Follow a hashtag (created here if no post has used it yet); following it again is
    fine."""
    name = tag_name(raw)
    async with services.db.writer.begin() as session:
        [tag_id] = await status_queries.tag_ids(session, [name])
        await follow_queries.follow(session, account_id, tag_id)
    return TagState(tag_id, name, following=True)


async def unfollow_tag(services: Services, account_id: int, raw: str) -> TagState | None:
    """Stop following a hashtag; not following it is fine. None when no such tag exists."""
    name = tag_name(raw)
    async with services.db.writer.begin() as session:
        tag = await tag_queries.tag_by_name(session, name)
        if tag is None:
            return None
        await follow_queries.unfollow(session, account_id, tag.id)
        return TagState(tag.id, tag.name, following=False)


async def tag_state(services: Services, account_id: int | None, raw: str) -> TagState:
    """A known hashtag, and whether the account follows it. NotFound for a tag no post here
    carries and nobody follows, as Mastodon answers."""
    try:
        name = tag_name(raw)
    except InvalidInput:
        raise NotFound(N_("Record not found")) from None
    async with services.db.reader() as session:
        tag = await tag_queries.tag_by_name(session, name)
        if tag is None:
            raise NotFound(N_("Record not found"))
        following = account_id is not None and bool(
            await follow_queries.following(session, account_id, [tag.id]))
    return TagState(tag.id, tag.name, following)


async def is_following(services: Services, account_id: int, raw: str) -> bool:
    try:
        name = tag_name(raw)
    except InvalidInput:
        return False
    async with services.db.reader() as session:
        tag = await tag_queries.tag_by_name(session, name)
        return tag is not None and bool(
            await follow_queries.following(session, account_id, [tag.id]))


async def followed(services: Services, account_id: int, page: Page) -> list[FollowedTag]:
    """A page of the account's followed hashtags, the newest follow first."""
    async with services.db.reader() as session:
        rows = await follow_queries.followed_tags(session, account_id, page)
    return [FollowedTag(follow_id, tag.id, tag.name) for follow_id, tag in rows]

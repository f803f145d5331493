"""Which of a viewer's streams an event concerns, and what each is sent (Mastodon's
streaming/index.js channels, with our timelines' rules).

An "update" or "status.update" reaches a stream when the status is in that stream's timeline
for the viewer right now: the timeline's own query (storage/timelines.py: home, list,
federated, hashtag) is asked about this one status, then the viewer's filters screen it as
the timeline page would ("hide" drops it, "warn" marks it `filtered`). So visibility, blocks
and mutes both ways, domain blocks, boosts turned off and replies follow the timelines
exactly, with no second copy of the rules to drift. The event's own fields (visibility,
local, tags) rule out most streams before any query.

Streams (Mastodon's names): "user" (home, plus the viewer's notifications when the token may
read them, filters_changed and our dreamfeed.generation), "user:notification", "public",
"public:local", "public:remote" and the ":media" variants, "hashtag" and "hashtag:local"
(with a tag), "list" (with the id of one of the viewer's lists).
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from server.render.to_mastodon.generations import generation
from server.render.to_mastodon.notifications import MASTODON_TYPES, notification
from server.render.to_mastodon.statuses import status
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound
from server.services.generation.extension import generation_parts
from server.services.reading.api_notifications import notifications
from server.services.reading.api_timelines import warn_matches, with_filtered
from server.services.reading.entities import load_statuses
from server.services.social import filters
from server.services.streaming.events import StreamEvent
from server.services.streaming.hub import Hub
from storage import follows as follow_queries
from storage import lists as list_queries
from storage import timelines as queries
from storage.pagination import Page
from storage.timelines import NotificationFilter, PublicOptions

PUBLIC_STREAMS = {
    "public": PublicOptions(),
    "public:local": PublicOptions(local=True),
    "public:remote": PublicOptions(remote=True),
    "public:media": PublicOptions(only_media=True),
    "public:local:media": PublicOptions(local=True, only_media=True),
    "public:remote:media": PublicOptions(remote=True, only_media=True),
}
HASHTAG_STREAMS = {"hashtag": PublicOptions(), "hashtag:local": PublicOptions(local=True)}
STREAMS = frozenset({"user", "user:notification", "list", *PUBLIC_STREAMS, *HASHTAG_STREAMS})


class UnknownStream(InvalidInput):
    """A stream name we do not serve, or one missing its tag or list (Mastodon answers
    'Unknown stream type' / 'No tag for stream provided')."""


@dataclass(frozen=True)
class Stream:
    name: str
    tag: str | None = None  # hashtag streams: the tag, lowercase, without '#'
    list_id: int | None = None  # list streams

    def label(self) -> list[str]:
        """What a WebSocket message's `stream` says: ["hashtag", tag], ["list", id], [name]."""
        if self.tag is not None:
            return [self.name, self.tag]
        if self.list_id is not None:
            return [self.name, str(self.list_id)]
        return [self.name]


def parse_stream(name: str, *, tag: str | None = None, list_id: str | None = None) -> Stream:
    """The stream a client asked for, by Mastodon's names and parameters."""
    if name not in STREAMS:
        raise UnknownStream("Unknown stream type")
    if name in HASHTAG_STREAMS:
        cleaned = (tag or "").strip().lstrip("#").lower()
        if not cleaned:
            raise UnknownStream("No tag for stream provided")
        return Stream(name, tag=cleaned)
    if name == "list":
        try:
            found = int(list_id or "")
        except ValueError:
            raise UnknownStream("Not authorized to stream this list") from None
        return Stream(name, list_id=found)
    return Stream(name)


def required_scopes(stream: Stream) -> tuple[str, ...]:
    """Any one of these lets a token hold the stream (Mastodon's checkScopes)."""
    if stream.name == "user:notification":
        return ("read", "read:notifications")
    return ("read", "read:statuses")


@dataclass(frozen=True)
class Viewer:
    account_id: int
    # Whether the token may read notifications: the user stream carries them only then.
    notifications: bool


async def check_stream(services: Services, viewer: Viewer, stream: Stream) -> None:
    """Refuse a list that is not the viewer's (NotFound), as Mastodon's authorizeListAccess."""
    if stream.list_id is None:
        return
    async with services.db.reader() as session:
        if await list_queries.own_list(session, viewer.account_id, stream.list_id) is None:
            raise NotFound("Not authorized to stream this list")


@dataclass(frozen=True)
class Outgoing:
    """One message to a client: Mastodon's event name and payload (a JSON string; None for
    filters_changed, which has none)."""

    event: str
    payload: str | None


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


# Per hub (one per app): the routing of an event for a viewer's stream, shared by all the
# connections that viewer holds (several tabs and devices get one query, not one each). An
# event is routed once per connection, within moments of its delivery, so a bounded cache of
# the latest results is enough.
_CACHE_SIZE = 4096
_caches: weakref.WeakKeyDictionary[Hub, OrderedDict[tuple[Viewer, Stream, StreamEvent],
                                                    asyncio.Task[Outgoing | None]]] = \
    weakref.WeakKeyDictionary()


async def route(services: Services, viewer: Viewer, stream: Stream,
                event: StreamEvent) -> Outgoing | None:
    """What `stream` of `viewer` is sent for `event`, or None when it does not concern it."""
    cache = _caches.setdefault(services.hub, OrderedDict())
    key = (viewer, stream, event)
    task = cache.get(key)
    if task is None:
        task = asyncio.ensure_future(_route(services, viewer, stream, event))
        cache[key] = task
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)
    # shield: one connection going away must not cancel the routing the others wait for.
    return await asyncio.shield(task)


async def _route(services: Services, viewer: Viewer, stream: Stream,
                 event: StreamEvent) -> Outgoing | None:
    if event.kind in ("update", "status.update"):
        return await _status_event(services, viewer, stream, event)
    if event.kind == "delete":
        return await _delete(services, viewer, stream, event)
    if event.account_id != viewer.account_id:
        return None  # the rest are private to one account
    if event.kind == "notification":
        wanted = stream.name == "user:notification" or (stream.name == "user"
                                                        and viewer.notifications)
        return await _notification(services, viewer, event) if wanted else None
    if stream.name != "user":
        return None
    if event.kind == "filters_changed":
        return Outgoing("filters_changed", None)
    if event.kind == "dreamfeed.generation" and event.generation_id is not None:
        try:
            parts = await generation_parts(services, event.generation_id, viewer.account_id)
        except NotFound:
            return None
        return Outgoing("dreamfeed.generation", _dumps(generation(
            parts.generation, parts.media, source_media_id=parts.source_media_id,
            remix_of_status_id=parts.remix_of_status_id)))
    return None


def _may_hold(stream: Stream, event: StreamEvent) -> bool:
    """What the event's own fields already decide, before any query."""
    if stream.name in PUBLIC_STREAMS or stream.name in HASHTAG_STREAMS:
        options = PUBLIC_STREAMS.get(stream.name) or HASHTAG_STREAMS[stream.name]
        if event.visibility not in (None, "public") or event.reblog_of_id is not None:
            return False
        if event.local is not None and ((options.local and not event.local)
                                        or (options.remote and event.local)):
            return False
        return stream.tag is None or stream.tag in {t.lower() for t in event.tags}
    return stream.name in ("user", "list")


async def _timeline_query(session: AsyncSession, viewer: Viewer,
                          stream: Stream) -> tuple[Select[int], str] | None:
    """The stream's timeline query for the viewer and its filter context."""
    viewer_id = viewer.account_id
    if stream.name == "user":
        return queries.home_query(viewer_id), "home"
    if stream.name == "list" and stream.list_id is not None:
        found = await list_queries.own_list(session, viewer_id, stream.list_id)
        if found is None:
            return None
        return queries.list_query(found.id, viewer_id, found.replies_policy), "home"
    if stream.name in PUBLIC_STREAMS:
        return queries.federated_query(viewer_id, PUBLIC_STREAMS[stream.name]), "public"
    if stream.tag is not None:
        tag = await queries.tag_by_name(session, stream.tag)
        if tag is None:
            return None
        return queries.hashtag_query(tag.id, viewer_id, HASHTAG_STREAMS[stream.name]), "public"
    return None


async def _status_event(services: Services, viewer: Viewer, stream: Stream,
                        event: StreamEvent) -> Outgoing | None:
    if event.status_id is None or not _may_hold(stream, event):
        return None
    async with services.db.reader() as session:
        found = await _timeline_query(session, viewer, stream)
        if found is None:
            return None
        stmt, context = found
        if not await queries.includes(session, stmt, event.status_id):
            return None
        entries = await queries.load(session, [event.status_id])
        shown, warnings = await filters.screen(session, viewer.account_id, entries, context)
        if not shown:
            return None
        made = await load_statuses(services, session, [event.status_id],
                                   viewer_account_id=viewer.account_id)
        matches = await warn_matches(session, viewer.account_id, context, warnings)
    if event.status_id not in made:
        return None
    parts = with_filtered(made[event.status_id], matches.get(shown[0].status.id, ()))
    return Outgoing(event.kind, _dumps(status(parts, services.config.base_url)))


async def _delete(services: Services, viewer: Viewer, stream: Stream,
                  event: StreamEvent) -> Outgoing | None:
    """Mastodon sends deletes unfiltered: an id the client never saw is ignored there. The
    user stream hears of its own statuses and of those of accounts it follows; public and
    hashtag streams of public statuses (when the event says which)."""
    if event.status_id is None:
        return None
    deleted = Outgoing("delete", str(event.status_id))
    if stream.name in ("user", "list"):
        if event.account_id == viewer.account_id:
            return deleted
        if event.account_id is None:
            return None
        async with services.db.reader() as session:
            follow = await follow_queries.follow_between(session, viewer.account_id,
                                                         event.account_id)
        return deleted if follow is not None and follow.state == "accepted" else None
    if stream.name == "user:notification":
        return None
    return deleted if event.visibility in (None, "public") else None


async def _notification(services: Services, viewer: Viewer,
                        event: StreamEvent) -> Outgoing | None:
    """The Notification entity, when the notifications list would show it now (blocked
    and muted senders, hide filters) and clients know its type."""
    if event.notification_id is None:
        return None
    page = Page(max_id=event.notification_id + 1, since_id=event.notification_id - 1, limit=1)
    found = await notifications(services, viewer.account_id, page, NotificationFilter())
    shown = [p for p in found.notifications if p.id == event.notification_id]
    if not shown or shown[0].type not in MASTODON_TYPES:
        return None
    return Outgoing("notification", _dumps(notification(shown[0], services.config.base_url)))

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
read them, filters_changed and our dreamfeed.generation), "user:notification", "direct"
(the viewer's conversations, as `conversation` events), "public",
"public:local", "public:remote" and the ":media" variants, "hashtag" and "hashtag:local"
(with a tag), "list" (with the id of one of the viewer's lists).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select
from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.render.to_mastodon.generations import generation
from server.render.to_mastodon.notifications import MASTODON_TYPES, notification
from server.render.to_mastodon.parts import FilterMatch, StatusParts
from server.render.to_mastodon.statuses import status
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound
from server.services.generation.extension import generation_parts
from server.services.reading.api_notifications import notifications
from server.services.reading.api_timelines import warn_matches, with_filtered
from server.services.reading.entities import load_statuses_for_each
from server.services.social import filters
from server.services.streaming.conversations import conversation_payload
from server.services.streaming.events import StreamEvent
from storage import filters as filter_queries
from storage import follows as follow_queries
from storage import lists as list_queries
from storage import tags as tag_queries
from storage import timeline_reach as reach
from storage import timelines as queries
from storage.notification_lists import NotificationFilter
from storage.pagination import Page
from storage.timelines import PublicOptions
from storage.types import utcnow

PUBLIC_STREAMS = {
    "public": PublicOptions(),
    "public:local": PublicOptions(local=True),
    "public:remote": PublicOptions(remote=True),
    "public:media": PublicOptions(only_media=True),
    "public:local:media": PublicOptions(local=True, only_media=True),
    "public:remote:media": PublicOptions(remote=True, only_media=True),
}
HASHTAG_STREAMS = {"hashtag": PublicOptions(), "hashtag:local": PublicOptions(local=True)}
STREAMS = frozenset({"user", "user:notification", "list", "direct", *PUBLIC_STREAMS,
                     *HASHTAG_STREAMS})
HOME_STREAMS = frozenset({"user", "list"})  # what the home timeline's rules govern


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
        raise UnknownStream(N_("Unknown stream type"))
    if name in HASHTAG_STREAMS:
        cleaned = (tag or "").strip().lstrip("#").lower()
        if not cleaned:
            raise UnknownStream(N_("No tag for stream provided"))
        return Stream(name, tag=cleaned)
    if name == "list":
        try:
            found = int(list_id or "")
        except ValueError:
            raise UnknownStream(N_("Not authorized to stream this list")) from None
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
            raise NotFound(N_("Not authorized to stream this list"))


@dataclass(frozen=True)
class Outgoing:
    """One message to a client: Mastodon's event name and payload (a JSON string; None for
    filters_changed, which has none)."""

    event: str
    payload: str | None


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


Target = tuple[Viewer, Stream]


async def route(services: Services, targets: Sequence[Target],
                event: StreamEvent) -> dict[Target, Outgoing]:
    """What each of these streams (of their viewers) is sent for `event`; those it does not
    concern are left out. Asked once per event for every stream a process holds, so a post
    reaching thousands of viewers costs a few batched queries, not thousands."""
    if event.kind in ("update", "status.update"):
        return await _status_event(services, targets, event)
    if event.kind == "delete":
        return await _delete(services, targets, event)
    routed: dict[Target, Outgoing] = {}
    for target in targets:
        # The rest are private to one account: a handful of streams at most.
        if target[0].account_id == event.account_id:
            outgoing = await _private(services, *target, event)
            if outgoing is not None:
                routed[target] = outgoing
    return routed


async def _private(services: Services, viewer: Viewer, stream: Stream,
                   event: StreamEvent) -> Outgoing | None:
    if event.kind == "notification":
        wanted = stream.name == "user:notification" or (stream.name == "user"
                                                        and viewer.notifications)
        return await _notification(services, viewer, event) if wanted else None
    if event.kind == "conversation":
        # Mastodon's PushConversationWorker: the owner's direct stream alone, unfiltered.
        if stream.name != "direct" or event.conversation_id is None:
            return None
        payload = await conversation_payload(services, viewer.account_id,
                                             event.conversation_id)
        return None if payload is None else Outgoing("conversation", payload)
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
    return stream.name in HOME_STREAMS


async def _holding(session: AsyncSession, targets: Sequence[Target],
                   status_id: int) -> list[tuple[Target, str]]:
    """The targets whose stream's timeline holds the status now, each with its filter
    context: one statement per timeline kind (home, each public variant, each tag, lists)
    for all the viewers asking, whatever their number."""
    groups: dict[tuple[str, str | None], list[Target]] = defaultdict(list)
    for target in targets:
        stream = target[1]
        groups[(stream.name, stream.tag)].append(target)
    reached: list[tuple[Target, str]] = []
    for (name, tag), group in groups.items():
        if name == "list":
            lists = await reach.lists_holding(
                session, [s.list_id for _, s in group if s.list_id is not None], status_id)
            reached += [(t, "home") for t in group if t[1].list_id in lists]
            continue
        timeline = await _timeline(session, name, tag)
        if timeline is None:
            continue
        viewers = await reach.viewers_holding(session, timeline,
                                              [v.account_id for v, _ in group], status_id)
        context = "home" if name == "user" else "public"
        reached += [(t, context) for t in group if t[0].account_id in viewers]
    return reached


async def _timeline(session: AsyncSession, name: str,
                    tag: str | None) -> Callable[[ColumnElement[int]], Select[int]] | None:
    """The stream's timeline query, for a column of viewer ids (None: an unknown tag)."""
    if name == "user":
        return queries.home_query
    if name in PUBLIC_STREAMS:
        options = PUBLIC_STREAMS[name]
        return lambda viewer: queries.federated_query(viewer, options)
    if tag is not None and name in HASHTAG_STREAMS:
        found = await tag_queries.tag_by_name(session, tag)
        if found is None:
            return None
        tag_id, options = found.id, HASHTAG_STREAMS[name]
        return lambda viewer: queries.hashtag_query(tag_id, viewer, options)
    return None


async def _followers_among(session: AsyncSession, author_id: int | None,
                          targets: Sequence[Target]) -> set[int]:
    """The viewers whose home and lists may hold the author's posts: the author and its
    accepted followers (one query, whatever the number of viewers)."""
    if author_id is None:
        return set()
    viewers = list({viewer.account_id for viewer, _ in targets})
    return await follow_queries.followers_among(session, author_id, viewers) | {author_id}


async def _status_event(services: Services, targets: Sequence[Target],
                        event: StreamEvent) -> dict[Target, Outgoing]:
    status_id = event.status_id
    if status_id is None:
        return {}
    targets = [t for t in targets if _may_hold(t[1], event)]
    if not targets:
        return {}
    async with services.db.reader() as session:
        if any(stream.name in HOME_STREAMS for _, stream in targets):
            near = await _followers_among(session, event.account_id, targets)
            targets = [t for t in targets
                       if t[1].name not in HOME_STREAMS or t[0].account_id in near]
        reached = await _holding(session, targets, status_id)
        if not reached:
            return {}
        matches = await _screen(session, reached, status_id)
        viewers = list({viewer.account_id for (viewer, _), _c in reached})
        made = await load_statuses_for_each(services, session, [status_id], viewers)
    rendered: dict[tuple[int, tuple[FilterMatch, ...]], Outgoing] = {}
    routed: dict[Target, Outgoing] = {}
    for target, _context in reached:
        if target not in matches:
            continue  # a hide filter
        parts = made[target[0].account_id].get(status_id)
        if parts is None:
            continue
        # Viewers who did the same with the post (most: nothing) share one rendering.
        key = (target[0].account_id if _personal(parts) else 0, matches[target])
        if key not in rendered:
            rendered[key] = Outgoing(event.kind, _dumps(status(
                with_filtered(parts, matches[target]), services.config.base_url)))
        routed[target] = rendered[key]
    return routed


def _personal(parts: StatusParts) -> bool:
    """Whether the viewer's own state shows in this status's entity."""
    inner = parts.reblog or parts
    return bool(inner.favourited or inner.reblogged or inner.bookmarked or inner.pinned
                or inner.muted or parts.pinned)


async def _screen(session: AsyncSession, reached: Sequence[tuple[Target, str]],
                  status_id: int) -> dict[Target, tuple[FilterMatch, ...]]:
    """The viewers' filters, as the timeline page applies them: a target a hide filter
    matches is left out; the others get the warn filters that match (most viewers have no
    filters at all: one query tells which)."""
    viewers = list({viewer.account_id for (viewer, _), _c in reached})
    filtering = await filter_queries.owners_among(session, viewers, utcnow())
    entries = await queries.load(session, [status_id]) if filtering else []
    kept: dict[Target, tuple[FilterMatch, ...]] = {}
    for target, context in reached:
        viewer_id = target[0].account_id
        if viewer_id not in filtering:
            kept[target] = ()
            continue
        shown, warnings = await filters.screen(session, viewer_id, entries, context)
        if not shown:
            continue
        found = await warn_matches(session, viewer_id, context, warnings)
        kept[target] = found.get(shown[0].status.id, ())
    return kept


async def _delete(services: Services, targets: Sequence[Target],
                  event: StreamEvent) -> dict[Target, Outgoing]:
    """Mastodon sends deletes unfiltered: an id the client never saw is ignored there. Public
    and hashtag streams hear of public statuses; user and list streams of public and
    unlisted ones (whose ids are no secret: one query fewer per delete, and a deleted
    account's followers are gone before its deletes are routed), and of other statuses when
    the viewer is the author or follows it."""
    if event.status_id is None:
        return {}
    deleted = Outgoing("delete", str(event.status_id))
    public = event.visibility in (None, "public")
    routed = {t: deleted for t in targets
              if public and (t[1].name in PUBLIC_STREAMS or t[1].name in HASHTAG_STREAMS)}
    home = [t for t in targets if t[1].name in HOME_STREAMS]
    if event.visibility in (None, "public", "unlisted"):
        routed.update({t: deleted for t in home})
    elif home and event.account_id is not None:
        async with services.db.reader() as session:
            near = await _followers_among(session, event.account_id, home)
        routed.update({t: deleted for t in home if t[0].account_id in near})
    return routed


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

"""What the web app's open pages learn from the stream (GET /web/stream): for each event of
this process's hub, the few small messages one signed-in page needs.

- "timeline": a new post would appear at the top of the timeline the page shows (home,
  local, federated or tag:NAME), decided by the timeline's own query (storage.timelines),
  so visibility, follows, blocks, mutes and suspensions count exactly as on the page, and
  the viewer's "hide" filters for the timeline's context.
- "notifications": the user's new unread count, when a notification for them arrives.
- "counts": the replies, favourites and boosts of the post a post page shows, when an
  event may have changed them (sent only when they did).
- "generation": a state change of one of the user's own image generations.

Ids go out as strings, as in Mastodon's JSON: ours pass 2**53 and a number would lose its
last digits in the browser.

Each decision reads the database only for events that can concern the page (a cheap test
on the event's routing fields comes first)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select

from server.i18n import N_
from server.services.accounts.web_sessions import SignedIn
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound
from server.services.social import filters, markers
from server.services.streaming.events import StreamEvent
from storage import statuses as status_queries
from storage import tags as tag_queries
from storage import timeline_reach as reach
from storage import timelines as queries

PUBLIC_TIMELINES = ("local", "federated")
TAG_PREFIX = "tag:"


@dataclass(frozen=True)
class LiveMessage:
    """One server-sent event: its name and its JSON data."""

    name: str
    data: dict[str, Any]


@dataclass
class Watch:
    """What one open page follows, and what it was last told (counts go out on change)."""

    user: SignedIn
    timeline: str | None = None  # "home", "local", "federated" or "tag:name"
    post_id: int | None = None
    post_author_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)


def _timeline_name(value: str | None) -> str | None:
    if not value:
        return None
    if value in ("home", *PUBLIC_TIMELINES):
        return value
    if value.startswith(TAG_PREFIX) and 0 < len(value) - len(TAG_PREFIX) <= 255:
        return TAG_PREFIX + value[len(TAG_PREFIX):].lstrip("#").lower()
    raise InvalidInput(N_("no timeline named %(value)r: home, local, federated or tag:NAME"),
                       value=value)


def _counts(replies: int, favourites: int, reblogs: int) -> dict[str, int]:
    # The keys are the post cards' data-count names (static/app.js fills them in).
    return {"replies_count": replies, "favourites_count": favourites,
            "reblogs_count": reblogs}


async def open_watch(services: Services, user: SignedIn, *, timeline: str | None,
                     post_id: int | None) -> Watch:
    """A page's watch; a post page may watch only a post its user may see (NotFound
    otherwise: the counts of a private post are not for everyone)."""
    watch = Watch(user=user, timeline=_timeline_name(timeline))
    if post_id is None:
        return watch
    async with services.db.reader() as session:
        if not await queries.visible(session, [post_id], user.account_id):
            raise NotFound(N_("no such post"))
        status = await status_queries.by_id(session, post_id)
        if status is None:  # deleted between the two reads
            raise NotFound(N_("no such post"))
        watch.post_id, watch.post_author_id = post_id, status.account_id
        watch.counts = _counts(status.replies_count, status.favourites_count,
                               status.reblogs_count)
    return watch


def _timeline_query(watch: Watch, event: StreamEvent) -> Select[int] | str | None:
    """The query to ask for a public timeline or home; the tag's name for a hashtag page;
    None where the event's fields already rule it out."""
    viewer = watch.user.account_id
    name = watch.timeline
    if name == "home":
        return queries.home_query(viewer)
    if event.visibility != "public" or event.reblog_of_id is not None:
        return None  # public timelines show public posts, no boosts
    if name == "local":
        return queries.local_query(viewer) if event.local else None
    if name == "federated":
        return queries.federated_query(viewer)
    if name is not None and name.startswith(TAG_PREFIX):
        tag = name[len(TAG_PREFIX):]
        return tag if tag in {t.lower() for t in event.tags} else None
    return None


async def _in_timeline(services: Services, watch: Watch, event: StreamEvent) -> bool:
    if event.kind != "update" or event.status_id is None or watch.timeline is None:
        return False
    query = _timeline_query(watch, event)
    if query is None:
        return False
    async with services.db.reader() as session:
        if isinstance(query, str):
            tag = await tag_queries.tag_by_name(session, query)
            if tag is None:
                return False
            query = queries.hashtag_query(tag.id, watch.user.account_id)
        if not await reach.includes(session, query, event.status_id):
            return False
        # The viewer's "hide" filters drop it from the page too (a "warn" one shows it).
        shown, _ = await filters.screen(session, watch.user.account_id,
                                        await queries.load(session, [event.status_id]),
                                        "home" if watch.timeline == "home" else "public")
        return bool(shown)


def _may_change_counts(watch: Watch, event: StreamEvent) -> bool:
    """Events after which the post's counts may differ: a boost of it or a reply to its
    author (a new reply), a deletion (of a boost or a reply), a notification to its author
    (a like, when the author is local)."""
    if watch.post_id is None:
        return False
    if event.kind == "update":
        return event.reblog_of_id == watch.post_id \
            or event.in_reply_to_account_id == watch.post_author_id
    if event.kind == "delete":
        return event.status_id != watch.post_id
    return event.kind == "notification" and event.account_id == watch.post_author_id


async def _counts_now(services: Services, watch: Watch) -> dict[str, int] | None:
    assert watch.post_id is not None
    async with services.db.reader() as session:
        status = await status_queries.by_id(session, watch.post_id)
    if status is None:
        return None
    return _counts(status.replies_count, status.favourites_count, status.reblogs_count)


async def messages(services: Services, watch: Watch, event: StreamEvent) -> list[LiveMessage]:
    """What this event tells the page (often nothing)."""
    out: list[LiveMessage] = []
    user = watch.user
    if await _in_timeline(services, watch, event):
        out.append(LiveMessage("timeline", {"status_id": str(event.status_id)}))
    if event.kind == "notification" and event.account_id == user.account_id:
        unread = await markers.unread_notifications(services, user)
        out.append(LiveMessage("notifications", {"unread": unread}))
    if _may_change_counts(watch, event):
        counts = await _counts_now(services, watch)
        if counts is not None and counts != watch.counts:
            watch.counts = counts
            out.append(LiveMessage("counts", {"post_id": str(watch.post_id), **counts}))
    if event.kind == "dreamfeed.generation" and event.account_id == user.account_id:
        out.append(LiveMessage("generation", {"generation_id": str(event.generation_id),
                                              "state": event.state}))
    return out

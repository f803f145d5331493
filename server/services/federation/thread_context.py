"""Fetching the rest of a remote post's thread when someone opens it, so that threads from
other servers look whole (Mastodon 4.4: the context controller queues
ActivityPub::FetchAllRepliesWorker, which walks `replies` collections through
FetchAllRepliesService; Status::FetchRepliesConcern rate-limits it per status).

- Asked for (`request`) when a signed-in person opens a remote public or unlisted post (its
  web page, or GET /api/v1/statuses/:id/context), at most once per post per
  `[federation] context_fetch_cooldown_minutes` (statuses.context_fetched_at, stamped in one
  statement) and once while queued (the job's dedupe key).
- The job climbs the parent chain (stored parents followed, unknown ones fetched), then walks
  the `replies` collections breadth-first, from the opened post and then from the top of the
  thread: `first`, then `next`, items by id or embedded. Bounded by `context_fetch_depth`
  levels up and down, `context_fetch_max_posts` posts and `context_fetch_max_pages`
  collection documents.
- What it fetches is trusted as any object we did not get from its author: a collection and
  its pages only from the post's own host (as Mastodon's non_matching_uri_hosts?), an
  embedded item only from the origin that served the page it is in, anything else fetched
  from its own origin (signed by the instance actor; suspended domains are never asked).
  A reply is kept only when it replies to the post whose collection named it, and only when
  public or unlisted (inbound.notes.store_remote_note with `fetched`, the path Create takes).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from activitypub.collection_pages import (
    Link,
    PageItem,
    first_page,
    is_collection,
    link,
    parse_page,
)
from activitypub.parse import ParseError, host_of, same_origin
from activitypub.parse_note import ParsedNote
from server.i18n import N_
from server.jobs.queue import enqueue
from server.services.context import Services
from server.services.errors import Dropped, NotFound
from server.services.federation import fetch_posts
from server.services.federation.inbound import notes
from server.services.federation.inbound.common import PUBLIC_VISIBILITIES
from server.services.federation.remote import RemoteError, account_for_uri, fetch_document
from server.services.statuses.visibility import visible_status
from storage import jobs as job_store
from storage import statuses as status_queries
from storage import threads as thread_queries
from storage.ids import parse_id
from storage.models import Status
from storage.types import utcnow

log = logging.getLogger(__name__)

FETCH_CONTEXT = "posts.fetch_context"
# How far up a thread already held here the climb goes before it fetches (a bound on reads,
# for a chain stored long ago; fetching is bounded by `context_fetch_depth`).
HELD_CHAIN_LIMIT = 500


def _fetchable(status: Status) -> bool:
    """A post whose thread lives elsewhere and may be asked for: remote, a post (not a
    boost), not deleted, public or unlisted (Mastodon's distributable?)."""
    return (not status.local and status.deleted_at is None and status.reblog_of_id is None
            and status.visibility in PUBLIC_VISIBILITIES)


def _job_key(status_id: int) -> str:
    return f"{FETCH_CONTEXT}:{status_id}"


async def request(services: Services, status_id: int) -> bool:
    """Queue the fetch of a remote post's thread, when it is due. Called as a signed-in
    person opens the post (never for anonymous visitors, as Mastodon: a crawler must not make
    us crawl others). True while a fetch of its thread is queued or running, queued now or
    before (the client API says so in Mastodon-Async-Refresh)."""
    settings = services.config.federation
    if settings.context_fetch_max_posts <= 0:
        return False
    now = utcnow()
    cutoff = now - timedelta(minutes=settings.context_fetch_cooldown_minutes)
    async with services.db.reader() as session:
        status = await status_queries.by_id(session, status_id)
        if status is None or not _fetchable(status):
            return False
        # Read first: most openings find the thread fetched recently, and cost no write.
        if status.context_fetched_at is not None and status.context_fetched_at > cutoff:
            return await job_store.pending(session, _job_key(status_id))
    async with services.db.writer.begin() as session:
        if await thread_queries.claim_context_fetch(session, status_id, now, cutoff):
            await enqueue(session, FETCH_CONTEXT, {"status_id": status_id},
                          dedupe_key=_job_key(status_id))
            return True
        return await job_store.pending(session, _job_key(status_id))


# --- Mastodon's async refreshes (GET /api/v1_alpha/async_refreshes/:id) ---------------------

REFRESH_PREFIX = "context-"


def refresh_id(status_id: int) -> str:
    """The id a client polls while a post's thread is fetched (Mastodon's ids are opaque)."""
    return f"{REFRESH_PREFIX}{status_id}"


async def refresh_state(services: Services, refresh: str, viewer_id: int) -> str:
    """"running" while the thread fetch named by `refresh` is queued or running, "finished"
    once it has run; NotFound for an id that names none, or a post the viewer may not see."""
    number = refresh.removeprefix(REFRESH_PREFIX)
    status_id = parse_id(number) if refresh.startswith(REFRESH_PREFIX) else None
    if status_id is None:
        raise NotFound(N_("Record not found"))
    async with services.db.reader() as session:
        status = await visible_status(session, status_id, viewer_id)
        if await job_store.pending(session, _job_key(status_id)):
            return "running"
    if status.context_fetched_at is None:
        raise NotFound(N_("Record not found"))
    return "finished"


@dataclass
class _Walk:
    """One fetch's budget and what it did."""

    posts: int  # post documents left to fetch
    pages: int  # collection documents left to fetch
    depth: int
    stored: int = 0
    # The documents of the parents the climb fetched, by id (the top one's `replies` are
    # where the walk starts).
    fetched: dict[str, dict[str, Any]] = field(default_factory=dict)

    def take_post(self) -> bool:
        if self.posts <= 0:
            return False
        self.posts -= 1
        return True

    def take_page(self) -> bool:
        if self.pages <= 0:
            return False
        self.pages -= 1
        return True


async def fetch_context(services: Services, status_id: int) -> str:
    """The `posts.fetch_context` job. Never raises for what a remote server does: a part that
    cannot be had is skipped, and the next opening after the cooldown tries again."""
    settings = services.config.federation
    async with services.db.reader() as session:
        status = await status_queries.by_id(session, status_id)
    if status is None or not _fetchable(status):
        return "ignored: not a remote post whose thread can be fetched"
    walk = _Walk(posts=settings.context_fetch_max_posts,
                 pages=settings.context_fetch_max_pages, depth=settings.context_fetch_depth)
    chain = await _climb(services, status, walk)
    # The opened post's replies first (its page and the API's context show them), then the
    # rest of the thread from its top with what the budget has left; a thread that starts
    # here has its replies here already, so from its highest post that lives elsewhere.
    top = next(s for s in reversed(chain) if _fetchable(s))
    seen: set[str] = set()
    for start in dict.fromkeys([status.uri, top.uri]):
        await _walk_replies(services, start, walk, seen)
    outcome = f"thread fetched: {walk.stored} posts stored"
    log.info("context of %s: %s", status.uri, outcome)
    return outcome


async def _climb(services: Services, status: Status, walk: _Walk) -> list[Status]:
    """Up the parent chain: the parents held followed, `depth` unknown ones fetched at most;
    returns the chain held, `status` first."""
    chain, fetched = [status], 0
    while len(chain) < HELD_CHAIN_LIMIT:
        current = chain[-1]
        uri = current.in_reply_to_uri
        async with services.db.reader() as session:
            if current.in_reply_to_id is not None:
                parent = await status_queries.by_id(session, current.in_reply_to_id)
            else:
                parent = await status_queries.by_uri(session, uri) if uri else None
        if parent is None:
            if not uri or same_origin(uri, services.config.base_url) \
                    or fetched >= walk.depth or not walk.take_post():
                break
            fetched += 1
            parent = await _fetch_parent(services, uri, walk)
        if parent is None or parent.deleted_at is not None \
                or parent.id in {held.id for held in chain}:  # a cycle
            break
        chain.append(parent)
    return chain


async def _walk_replies(services: Services, start: str, walk: _Walk, seen: set[str]) -> None:
    """Breadth-first down the `replies` collections from the post `start` (fetched again for
    its collection), `depth` levels at most: the first replies come before the replies to
    replies when the budget runs out. `seen`: the posts met so far, never read twice."""
    seen.add(start)
    root = walk.fetched.get(start)
    if root is None:
        if not walk.take_post():
            return
        try:
            root = await fetch_posts.fetch_note_document(services, start)
        except (Dropped, RemoteError) as exc:
            log.info("thread of %s not fetched: %s", start, exc)
            return
    queue: deque[tuple[dict[str, Any], int]] = deque([(root, 0)])
    while queue and walk.posts > 0:
        doc, level = queue.popleft()
        parent_uri = str(doc["id"])
        for item, served_by in await _reply_items(services, doc, walk):
            if item.id in seen or same_origin(item.id, services.config.base_url):
                continue  # ours are here already
            seen.add(item.id)
            reply = await _item_note(services, item, served_by, walk)
            if reply is None:
                continue
            # A collection speaks only for the replies to its own post: nothing else is
            # brought in through it.
            if reply.note.in_reply_to != parent_uri:
                log.info("%s is listed among the replies of %s but does not reply to it",
                         item.id, parent_uri)
                continue
            if await _store(services, reply.note, walk) is not None \
                    and level + 1 < walk.depth:
                queue.append((reply.doc, level + 1))


async def _reply_items(services: Services, note: dict[str, Any],
                       walk: _Walk) -> list[tuple[PageItem, str]]:
    """The items of a post's `replies` collection, page after page while the budget lasts,
    each with the URL of the document that carried it (whose origin may speak for it)."""
    note_uri = str(note["id"])
    replies = link(note.get("replies"))
    if replies is None:
        return []
    collection, served_by = await _resolve(services, replies, note_uri, note_uri, walk)
    if collection is None:
        return []
    try:
        page_link = first_page(collection)
    except ParseError as exc:
        log.info("replies of %s: %s", note_uri, exc)
        return []
    items: list[tuple[PageItem, str]] = []
    visited: set[str] = set()
    while page_link is not None and len(items) < walk.posts:
        if isinstance(page_link, str):
            if page_link in visited:
                break  # a server whose pages go round in a circle
            visited.add(page_link)
        page, served_by = await _resolve(services, page_link, note_uri, served_by, walk)
        if page is None:
            break
        try:
            parsed = parse_page(page)
        except ParseError as exc:
            log.info("a replies page of %s: %s", note_uri, exc)
            break
        items.extend((item, served_by) for item in parsed.items)
        page_link = parsed.next
    return items


async def _resolve(services: Services, target: Link, note_uri: str, served_by: str,
                   walk: _Walk) -> tuple[dict[str, Any] | None, str]:
    """A collection or page: embedded (trusted as the document it came in, `served_by`), or
    fetched from the post's own host; (None, ...) when it cannot be had or trusted."""
    if isinstance(target, dict):
        return target, served_by
    if host_of(target) != host_of(note_uri) or not walk.take_page():
        return None, served_by
    try:
        doc, final_url = await fetch_document(services, target)
    except RemoteError as exc:
        log.info("replies of %s: %s", note_uri, exc)
        return None, served_by
    if not same_origin(final_url, target) or not is_collection(doc):
        return None, served_by
    return doc, final_url


@dataclass(frozen=True)
class _Reply:
    doc: dict[str, Any]  # for its own `replies`
    note: ParsedNote


async def _item_note(services: Services, item: PageItem, served_by: str,
                     walk: _Walk) -> _Reply | None:
    """A listed reply: as embedded, when the origin that served the page is its own
    (Mastodon embeds the replies written there), else fetched from its origin."""
    if not walk.take_post():
        return None
    try:
        if item.body is not None and same_origin(item.id, served_by):
            doc = item.body
        else:
            doc = await fetch_posts.fetch_note_document(services, item.id)
        return _Reply(doc, fetch_posts.checked_note(doc))
    except (Dropped, RemoteError) as exc:
        log.info("thread post %s not kept: %s", item.id, exc)
        return None


async def _fetch_parent(services: Services, uri: str, walk: _Walk) -> Status | None:
    try:
        doc = await fetch_posts.fetch_note_document(services, uri)
        note = fetch_posts.checked_note(doc)
    except (Dropped, RemoteError) as exc:
        log.info("thread post %s not fetched: %s", uri, exc)
        return None
    walk.fetched[uri] = doc
    return await _store(services, note, walk)


async def _store(services: Services, note: ParsedNote, walk: _Walk) -> Status | None:
    """A trusted post stored through the path Create takes (already stored: the stored row);
    None when it is not kept."""
    if not (await services.domains.rules()).allowed(host_of(note.id)):
        return None
    try:
        author = await account_for_uri(services, note.attributed_to)
    except RemoteError as exc:
        log.info("thread post %s not kept: %s", note.id, exc)
        return None
    if author.suspended_at is not None or author.deleted_at is not None:
        return None
    try:
        # depth 0: the climb fetches parents itself, within this walk's budget.
        _, status = await notes.store_remote_note(services, note, author, fetched=True,
                                                  depth=0)
    except IntegrityError:
        status = None  # stored meanwhile by another job (a parent fetch): read it below
    if status is not None:
        walk.stored += 1
        return status
    async with services.db.reader() as session:
        found = await status_queries.by_uri(session, note.id)
    return found if found is not None and found.deleted_at is None else None

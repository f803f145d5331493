"""A remote account's pins: its `featured` collection, read in a job whenever the account is
stored or refreshed (Mastodon's FetchFeaturedCollectionService, queued by
remote.schedule_featured), and the Add/Remove it sends on pinning and unpinning
(inbound.featured). Only the account's own posts, on its own origin, are pinned, and at
most MAX_REMOTE_PINS of them (several fetches per refresh, never more).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.featured import FeaturedItem, featured_page
from activitypub.parse import same_origin
from server.services.context import Services
from server.services.errors import Dropped
from server.services.federation import fetch_posts
from server.services.federation.inbound import notes
from server.services.federation.remote import RemoteError, fetch_document
from storage import accounts as account_queries
from storage import status_pins as pin_queries
from storage import statuses as status_queries
from storage.models import Account, Status

log = logging.getLogger(__name__)

# Mastodon's own limit is 5 (StatusPinValidator); other servers allow more. A collection is
# read this far and no further: one fetch per post we do not hold yet.
MAX_REMOTE_PINS = 10


async def fetch_featured(services: Services, account_id: int) -> str:
    """The `account.fetch_featured` job: read the collection and make the account's pins
    what it lists, in its order (the first item the newest pin). A collection that cannot
    be fetched keeps the pins we have (there is a next refresh); so does a post that cannot
    be fetched, which is left out."""
    async with services.db.reader() as session:
        account = await account_queries.account_by_id(session, account_id)
    if account is None or account.is_local or account.deleted_at is not None \
            or account.suspended_at is not None or not account.featured_url:
        return "ignored: no remote account with a featured collection"
    if not same_origin(account.featured_url, account.uri):
        return "ignored: the featured collection is on another origin"
    try:
        items = await _items(services, account.featured_url)
    except RemoteError as exc:
        log.info("keeping the pins of %s: %s", account.uri, exc)
        return f"ignored: {exc}"
    wanted: list[int] = []
    for item in items:
        status = await pinnable_status(services, account, item)
        if status is not None and status.id not in wanted:
            wanted.append(status.id)
    async with services.db.writer.begin() as session:
        await replace_pins(session, account.id, wanted)
    return f"{len(wanted)} pinned"


async def _items(services: Services, url: str) -> list[FeaturedItem]:
    doc, final_url = await fetch_document(services, url)
    page = featured_page(doc, MAX_REMOTE_PINS)
    if page.first is not None:
        # Only the collection's own origin speaks for its pages (and an empty answer would
        # unpin everything: refused as an error, the pins stay).
        if not same_origin(page.first, final_url):
            raise RemoteError(f"the first page of {url} is on another origin")
        doc, final_url = await fetch_document(services, page.first)
        page = featured_page(doc, MAX_REMOTE_PINS)
    # An inline Note is believed only when the origin that served it is the Note's own.
    return [item if item.note is None or same_origin(item.uri, final_url)
            else FeaturedItem(item.uri) for item in page.items]


async def pinnable_status(services: Services, account: Account,
                          item: FeaturedItem) -> Status | None:
    """The status an item names when the account may pin it: its own post, held here or
    fetched (public or unlisted) from the account's origin. None otherwise."""
    if not same_origin(item.uri, account.uri):
        return None
    async with services.db.reader() as session:
        status = await status_queries.by_uri(session, item.uri)
    if status is None:
        try:
            note = fetch_posts.checked_note(item.note) if item.note is not None \
                else await fetch_posts.fetch_note(services, item.uri)
        except (Dropped, RemoteError) as exc:
            log.info("pinned post %s of %s left out: %s", item.uri, account.uri, exc)
            return None
        if note.attributed_to != account.uri:
            return None
        await notes.store_remote_note(services, note, account, fetched=True)
        async with services.db.reader() as session:
            status = await status_queries.by_uri(session, item.uri)
    if status is None or status.account_id != account.id or status.deleted_at is not None \
            or status.reblog_of_id is not None:
        return None
    return status


async def replace_pins(session: AsyncSession, account_id: int, wanted: list[int]) -> None:
    """Make the account's pins exactly `wanted`, the first the newest. Pins sort by their
    id, so when the set changes they are made again, last first, in the collection's
    order; the same set is left as it is."""
    held = await pin_queries.pinned_among(session, account_id, wanted)
    if len(held) == len(wanted) and await pin_queries.count_of(session, account_id) \
            == len(wanted):
        return
    await pin_queries.remove_all(session, account_id)
    for status_id in reversed(wanted):
        await pin_queries.add(session, account_id, status_id)


def is_featured_of(account: Account, target: Any) -> bool:
    """Whether an Add/Remove's `target` is the account's featured collection."""
    return bool(account.featured_url) and target == account.featured_url

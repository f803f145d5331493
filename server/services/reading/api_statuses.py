"""The client API's reads of statuses (Mastodon's Api::V1::StatusesController and its
Statuses::* neighbours): one status or several as the viewer may see them, a thread, who
favourited or boosted one, the viewer's favourites, and what an author typed (source,
history). Every status goes through `visible_status` first, so what the viewer may not see
is NotFound (Mastodon's 404) and never leaks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from server.i18n import N_
from server.render.sanitize import plain_text
from server.render.to_mastodon.parts import AccountParts, StatusParts
from server.services.context import Services
from server.services.errors import NotFound
from server.services.reading import timelines
from server.services.reading.entities import accounts_in_order, load_statuses, statuses_in_order
from server.services.statuses.visibility import visible_status
from storage import favourites as favourite_queries
from storage import post_page as page_queries
from storage.models import Status
from storage.pagination import Page

# Mastodon's DEFAULT_STATUSES_LIMIT: GET /api/v1/statuses?id[]= takes at most this many.
MAX_IDS = 20

T = TypeVar("T")


@dataclass(frozen=True)
class Listed(Generic[T]):
    """A page of things with the cursor of each (the row the Link header pages by)."""

    cursors: list[int]
    items: list[T]


@dataclass(frozen=True)
class Context:
    ancestors: list[StatusParts]  # the thread's top first
    descendants: list[StatusParts]


@dataclass(frozen=True)
class Source:
    id: int
    text: str  # what its author typed (a remote status: its text without markup)
    spoiler_text: str


async def status(services: Services, status_id: int, viewer_id: int | None) -> StatusParts:
    """One status (a boost: the boost, with the boosted status inside) as the viewer sees it."""
    async with services.db.reader() as session:
        await visible_status(session, status_id, viewer_id)
        made = await load_statuses(services, session, [status_id],
                                   viewer_account_id=viewer_id)
    if status_id not in made:
        raise NotFound(N_("Record not found"))
    return made[status_id]


async def new_status(services: Services, status_id: int, author_id: int) -> StatusParts:
    """The status its author has just posted, as the answer to the post (its author sees
    it, and has done nothing to it yet)."""
    async with services.db.reader() as session:
        made = await load_statuses(services, session, [status_id],
                                   viewer_account_id=author_id, fresh=True)
    if status_id not in made:
        raise NotFound(N_("Record not found"))
    return made[status_id]


async def statuses(services: Services, ids: Sequence[int],
                   viewer_id: int | None) -> list[StatusParts]:
    """Several statuses in the order asked, those the viewer may not see left out."""
    wanted = list(dict.fromkeys(ids))
    shown: list[int] = []
    async with services.db.reader() as session:
        for status_id in wanted:
            try:
                await visible_status(session, status_id, viewer_id)
            except NotFound:
                continue
            shown.append(status_id)
    return await statuses_in_order(services, shown, viewer_account_id=viewer_id)


async def context(services: Services, status_id: int, viewer: str | None,
                  viewer_id: int | None) -> Context:
    """Ancestors and descendants as the thread page screens them (visibility, blocks, the
    viewer's mutes and "thread" filters: reading.timelines.thread). A boost has none."""
    async with services.db.reader() as session:
        row = await visible_status(session, status_id, viewer_id)
    if row.reblog_of_id is not None:
        return Context([], [])
    thread = await timelines.thread(services, status_id, viewer)
    up = [item.status_id for item in thread.ancestors]
    down = [item.status_id for item in thread.descendants]
    parts = {p.status.id: p for p in await statuses_in_order(
        services, up + down, viewer_account_id=viewer_id)}
    return Context(ancestors=[parts[i] for i in up if i in parts],
                   descendants=[parts[i] for i in down if i in parts])


async def favourited_by(services: Services, status_id: int, viewer_id: int | None,
                        page: Page) -> Listed[AccountParts]:
    return await _accounts(services, status_id, viewer_id, page, "favourites")


async def reblogged_by(services: Services, status_id: int, viewer_id: int | None,
                       page: Page) -> Listed[AccountParts]:
    return await _accounts(services, status_id, viewer_id, page, "reblogs")


async def _accounts(services: Services, status_id: int, viewer_id: int | None, page: Page,
                    kind: str) -> Listed[AccountParts]:
    async with services.db.reader() as session:
        row = await visible_status(session, status_id, viewer_id)
        target = row.reblog_of_id or row.id
        query = page_queries.favouriters_page if kind == "favourites" \
            else page_queries.boosters_page
        rows = await query(session, target, viewer_id, page)
    accounts = {a.account.id: a for a in await accounts_in_order(
        services, [account_id for _, account_id in rows])}
    kept = [(cursor, account_id) for cursor, account_id in rows if account_id in accounts]
    return Listed(cursors=[cursor for cursor, _ in kept],
                  items=[accounts[account_id] for _, account_id in kept])


async def favourited_page(services: Services, account_id: int,
                          page: Page) -> Listed[StatusParts]:
    """The account's favourites it may still see, newest first, paged by the favourite."""
    async with services.db.reader() as session:
        rows = await favourite_queries.page_of(session, account_id, page)
    return await listed_statuses(services, rows, account_id)


async def listed_statuses(services: Services, rows: Sequence[tuple[int, int]],
                          viewer_id: int) -> Listed[StatusParts]:
    """(cursor, status id) pairs as statuses, those gone meanwhile left out."""
    parts = {p.status.id: p for p in await statuses_in_order(
        services, [status_id for _, status_id in rows], viewer_account_id=viewer_id)}
    kept = [(cursor, status_id) for cursor, status_id in rows if status_id in parts]
    return Listed(cursors=[cursor for cursor, _ in kept],
                  items=[parts[status_id] for _, status_id in kept])


async def source(services: Services, status_id: int, viewer_id: int | None) -> Source:
    """What the author typed, for editing (Mastodon serves it to anyone who may see it)."""
    async with services.db.reader() as session:
        row = await visible_status(session, status_id, viewer_id)
    return _source(row)


def _source(row: Status) -> Source:
    text = row.caption if row.local else plain_text(row.content)
    return Source(id=row.id, text=text, spoiler_text=row.spoiler_text)


def source_of(parts: StatusParts) -> Source:
    return _source(parts.status)


async def own_status(services: Services, status_id: int, account_id: int) -> StatusParts:
    """One of the account's own statuses (not a boost), to edit or delete; anything else is
    NotFound, as Mastodon finds it among the account's statuses only."""
    parts = await status(services, status_id, account_id)
    if parts.status.account_id != account_id or parts.reblog is not None:
        raise NotFound(N_("Record not found"))
    return parts

"""The contents of a local account's followers, following, outbox and featured
collections."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.render.to_activitypub import announce, create_activity
from server.render.to_activitypub.pins import featured_collection
from server.services.accounts.users import find_local_account
from server.services.context import Services
from server.services.errors import NotFound
from server.services.statuses.notes import note_parts
from storage import accounts as account_queries
from storage import blocks as block_queries
from storage import follows as follow_queries
from storage import status_pins as pin_queries
from storage import statuses as status_queries
from storage.models import Account, Status
from storage.pagination import Page


async def _owner(session: AsyncSession, username: str) -> Account:
    account = await find_local_account(session, username)
    if account is None or account.deleted_at is not None or account.suspended_at is not None:
        raise NotFound(N_("no account named %(username)r here"), username=username)
    return account


async def total(services: Services, username: str, kind: str) -> int:
    async with services.db.reader() as session:
        account = await _owner(session, username)
        if kind == "followers":
            return await follow_queries.count_followers(session, account.id)
        if kind == "following":
            return await follow_queries.count_following(session, account.id)
        return await status_queries.count_outbox(session, account.id)


async def page(services: Services, username: str, kind: str, page: Page,
               viewer_uri: str | None = None) -> tuple[list[Any], int | None]:
    """The page's items and the max_id of the next (older) page, if there may be one.
    `viewer_uri`: who signed the fetch; an account the owner blocks sees an empty outbox, as
    Mastodon's Status.permitted_for gives it none."""
    async with services.db.reader() as session:
        account = await _owner(session, username)
        items: list[Any]
        if kind == "outbox" and await _blocked(session, account, viewer_uri):
            return [], None
        if kind == "outbox":
            statuses = await status_queries.outbox_page(session, account.id, page)
            items = [await _outbox_item(services, session, account, status)
                     for status in statuses]
            ids = [status.id for status in statuses]
        else:
            rows = await (follow_queries.followers_page if kind == "followers"
                          else follow_queries.following_page)(session, account.id, page)
            items = [other.uri for _, other in rows]
            ids = [follow.id for follow, _ in rows]
    return items, (ids[-1] if len(ids) == page.limit else None)


async def _outbox_item(services: Services, session: AsyncSession, account: Account,
                       status: Status) -> dict[str, Any]:
    """A post's Create, or a boost's Announce (the outbox query kept only boosts of live
    public and unlisted posts)."""
    if status.reblog_of_id is None:
        return create_activity(status, await note_parts(services, session, status, account),
                               services.config)
    boosted = await status_queries.by_id(session, status.reblog_of_id)
    author = await account_queries.account_by_id(session, boosted.account_id) \
        if boosted is not None else None
    if boosted is None or author is None:
        raise NotFound(N_("a boost's post is gone"))  # the query left such boosts out
    return announce(status, account, boosted, author, services.config)


async def featured(services: Services, username: str,
                   viewer_uri: str | None = None) -> dict[str, Any]:
    """The account's `featured` collection: its public and unlisted pinned posts, newest pin
    first, inline (Mastodon's). An account the owner blocks gets it empty, as Mastodon's
    for_signed_account gives a blocked signer none."""
    async with services.db.reader() as session:
        account = await _owner(session, username)
        pinned: list[Any] = []
        if not await _blocked(session, account, viewer_uri):
            # No viewer: only what anyone may see (followers-only pins stay off the wire).
            for status_id in await pin_queries.pinned_ids(session, account.id, None):
                status = await status_queries.by_id(session, status_id)
                if status is not None:
                    pinned.append((status, await note_parts(services, session, status,
                                                            account)))
    return featured_collection(account, pinned, services.config)


async def _blocked(session: AsyncSession, owner: Account, viewer_uri: str | None) -> bool:
    viewer = await account_queries.account_by_uri(session, viewer_uri) if viewer_uri else None
    return viewer is not None and await block_queries.blocks(session, owner.id, viewer.id)

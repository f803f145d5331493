"""Accounts as the client API finds and lists them (Mastodon's api/v1/accounts controllers):
by id, by acct, and the pages of followers, following, follow requests, blocks and mutes.

An account that does not exist for the API is NotFound ("Record not found", 404): unknown
ids, the instance actor, and local sign-ups still waiting for approval (Mastodon's
check_account_approval). Suspended and deleted accounts are found: the converter shows them
in Mastodon's suspended form. Lists leave unavailable accounts out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.render.to_mastodon.parts import AccountParts
from server.services.context import Services
from server.services.errors import NotFound
from server.services.reading.entities import load_accounts
from server.services.reading.profiles import find_account as find_by_acct
from storage import accounts as account_queries
from storage import blocks as block_queries
from storage import entities as entity_queries
from storage import follows as follow_queries
from storage import mutes as mute_queries
from storage.models import Account
from storage.pagination import Page
from storage.types import utcnow

NOT_FOUND = N_("Record not found")


@dataclass(frozen=True)
class AccountPage:
    """A page of accounts and the ids that page it (follow, block or mute ids, newest
    first): the Link header's cursors, since account ids are not the list's order."""

    accounts: list[AccountParts]
    cursors: list[int]
    # Mutes only: when each muted account's mute ends (None: until undone).
    mute_expiry: dict[int, datetime | None] | None = None


async def _approved(session: AsyncSession, account: Account) -> bool:
    return not account.is_local \
        or account.id not in await account_queries.unapproved_among(session, [account.id])


async def find_account(session: AsyncSession, account_id: int) -> Account:
    """The account behind an API id; NotFound for what the API does not show."""
    account = await account_queries.account_by_id(session, account_id)
    if account is None or account.actor_type == "Application" \
            or not await _approved(session, account):
        raise NotFound(NOT_FOUND)
    return account


async def account(services: Services, account_id: int) -> AccountParts:
    async with services.db.reader() as session:
        await find_account(session, account_id)
        return (await load_accounts(services, session, [account_id]))[account_id]


async def accounts(services: Services, ids: Sequence[int]) -> list[AccountParts]:
    """The accounts among `ids` the API shows, in the order asked, each once (GET
    /api/v1/accounts?id[]=: unknown and unapproved ones are left out)."""
    wanted = list(dict.fromkeys(ids))
    async with services.db.reader() as session:
        rows = await entity_queries.accounts_by_id(session, wanted)
        pending = await account_queries.unapproved_among(session, rows)
        shown = [i for i in wanted if i in rows and rows[i].actor_type != "Application"
                 and i not in pending]
        made = await load_accounts(services, session, shown)
    return [made[i] for i in shown if i in made]


async def lookup(services: Services, acct: str) -> AccountParts:
    """`user` or `user@host` among the accounts known here, without asking WebFinger
    (Mastodon's accounts/lookup: ResolveAccountService with skip_webfinger)."""
    async with services.db.reader() as session:
        found = await find_by_acct(session, acct, services.config.instance.domain)
        if found is None or not await _approved(session, found):
            raise NotFound(NOT_FOUND)
        return (await load_accounts(services, session, [found.id]))[found.id]


def _unavailable(account: Account) -> bool:
    return account.suspended_at is not None or account.deleted_at is not None


async def follow_list(services: Services, account_id: int, direction: str, page: Page,
                      viewer_id: int | None) -> AccountPage:
    """Followers ("followers") or followed accounts ("following") of an account, newest
    follow first. Empty for an unavailable account and for a viewer it blocks; a viewer's
    own blocks and mutes are left out of other accounts' lists (Mastodon's
    FollowerAccountsController: hide_results?, not_excluded_by_account)."""
    async with services.db.reader() as session:
        owner = await find_account(session, account_id)
        if _unavailable(owner) or (viewer_id is not None and viewer_id != owner.id
                                   and await block_queries.blocks(session, owner.id,
                                                                  viewer_id)):
            return AccountPage([], [])
        hidden_for = viewer_id if viewer_id != owner.id else None
        rows = await follow_queries.follow_page(session, owner.id, direction, page,
                                                hidden_for=hidden_for)
        return await _page(services, session, rows)


async def follow_requests(services: Services, account_id: int, page: Page) -> AccountPage:
    """Accounts waiting for `account_id` to answer their follow request, newest first."""
    async with services.db.reader() as session:
        rows = await follow_queries.follow_page(session, account_id, "followers", page,
                                                state="pending")
        return await _page(services, session, rows)


async def blocks(services: Services, account_id: int, page: Page) -> AccountPage:
    async with services.db.reader() as session:
        rows = await block_queries.blocks_page(session, account_id, page)
        return await _page(services, session, rows)


async def mutes(services: Services, account_id: int, page: Page) -> AccountPage:
    """The mutes in force, newest first, with when each ends."""
    async with services.db.reader() as session:
        rows = await mute_queries.mutes_page(session, account_id, page, utcnow())
        found = await _page(services, session,
                            [(row.id, row.target_account_id) for row in rows])
    return AccountPage(found.accounts, found.cursors,
                       mute_expiry={row.target_account_id: row.expires_at for row in rows})


async def _page(services: Services, session: AsyncSession,
                rows: list[tuple[int, int]]) -> AccountPage:
    made = await load_accounts(services, session, [other for _, other in rows])
    return AccountPage([made[other] for _, other in rows if other in made],
                       [cursor for cursor, _ in rows])

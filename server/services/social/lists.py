"""Lists: a user's named sets of the accounts they follow, each with its own timeline
(Mastodon's lists: app/models/list.rb, list_account.rb, the lists controllers).

- A user sees and changes only their own lists; another's list id is as good as missing.
- Only accounts the user follows (or has asked to follow), and the user itself, may be
  added (Mastodon's ListAccount needs the follow). A member stops counting while the follow
  is gone (storage.lists.followed_members).
- `replies_policy` says which replies to others the list timeline shows: "followed" (to
  anyone the user follows), "list" (to members), "none"; `exclusive` keeps the members'
  posts out of the home timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from server.i18n import N_
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound
from storage import entities as entity_queries
from storage import follows as follow_queries
from storage import lists as list_queries
from storage.models import AccountList
from storage.pagination import Page

REPLIES_POLICIES = ("followed", "list", "none")
MAX_LISTS = 50  # per account, as Mastodon's List::PER_ACCOUNT_LIMIT
MAX_TITLE = 255
MAX_ACCOUNTS_PER_CALL = 250


@dataclass(frozen=True)
class ListChanges:
    """What an update sets; None leaves a field as it is."""

    title: str | None = None
    replies_policy: str | None = None
    exclusive: bool | None = None


def _title(title: str) -> str:
    title = title.strip()
    if not title:
        raise InvalidInput(N_("Validation failed: Title can't be blank"))
    if len(title) > MAX_TITLE:
        raise InvalidInput(N_("Validation failed: Title is too long (at most %(limit)s)"),
                           limit=MAX_TITLE)
    return title


def _policy(policy: str) -> str:
    if policy not in REPLIES_POLICIES:
        raise InvalidInput(N_("replies_policy is one of %(policies)s, not %(policy)r"),
                           policies=", ".join(REPLIES_POLICIES), policy=policy)
    return policy


async def lists_of(services: Services, account_id: int) -> list[AccountList]:
    async with services.db.reader() as session:
        return await list_queries.lists_of(session, account_id)


async def get_list(services: Services, account_id: int, list_id: int) -> AccountList:
    async with services.db.reader() as session:
        found = await list_queries.own_list(session, account_id, list_id)
    if found is None:
        raise NotFound(N_("Record not found"))
    return found


async def create_list(services: Services, account_id: int, title: str, *,
                      replies_policy: str = "list", exclusive: bool = False) -> AccountList:
    row = AccountList(account_id=account_id, title=_title(title),
                      replies_policy=_policy(replies_policy), exclusive=exclusive)
    async with services.db.writer.begin() as session:
        if await list_queries.count_lists(session, account_id) >= MAX_LISTS:
            raise InvalidInput(N_("Validation failed: at most %(limit)s lists"), limit=MAX_LISTS)
        return await list_queries.add(session, row)


async def update_list(services: Services, account_id: int, list_id: int,
                      changes: ListChanges) -> AccountList:
    async with services.db.writer.begin() as session:
        row = await list_queries.own_list(session, account_id, list_id)
        if row is None:
            raise NotFound(N_("Record not found"))
        if changes.title is not None:
            row.title = _title(changes.title)
        if changes.replies_policy is not None:
            row.replies_policy = _policy(changes.replies_policy)
        if changes.exclusive is not None:
            row.exclusive = changes.exclusive
        await session.flush()
        return row


async def delete_list(services: Services, account_id: int, list_id: int) -> None:
    async with services.db.writer.begin() as session:
        if await list_queries.own_list(session, account_id, list_id) is None:
            raise NotFound(N_("Record not found"))
        await list_queries.delete_list(session, list_id)


async def member_ids(services: Services, account_id: int, list_id: int,
                     page: Page | None) -> list[int]:
    """A page of the list's member account ids (all of them when `page` is None)."""
    async with services.db.reader() as session:
        if await list_queries.own_list(session, account_id, list_id) is None:
            raise NotFound(N_("Record not found"))
        return await list_queries.members_page(session, list_id, account_id, page)


def _checked_ids(account_ids: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(account_ids))
    if len(ids) > MAX_ACCOUNTS_PER_CALL:
        raise InvalidInput(N_("at most %(limit)s accounts at once"),
                           limit=MAX_ACCOUNTS_PER_CALL)
    return ids


async def add_members(services: Services, account_id: int, list_id: int,
                      account_ids: Sequence[int]) -> None:
    """Add accounts the user follows (or asked to) to the list; already there is fine.
    NotFound when an account does not exist or is not followed, as Mastodon answers."""
    ids = _checked_ids(account_ids)
    async with services.db.writer.begin() as session:
        if await list_queries.own_list(session, account_id, list_id) is None:
            raise NotFound(N_("Record not found"))
        accounts = await entity_queries.accounts_by_id(session, ids)
        follows = await follow_queries.follows_from(session, account_id, ids)
        for target in ids:
            found = accounts.get(target)
            if found is None or found.deleted_at is not None:
                raise NotFound(N_("Record not found"))
            if target != account_id and target not in follows:
                raise NotFound(N_("Record not found: only followed accounts can be in a list"))
        present = await list_queries.member_ids(session, list_id, ids)
        await list_queries.add_members(session, list_id, [i for i in ids if i not in present])


async def remove_members(services: Services, account_id: int, list_id: int,
                         account_ids: Sequence[int]) -> None:
    ids = _checked_ids(account_ids)
    async with services.db.writer.begin() as session:
        if await list_queries.own_list(session, account_id, list_id) is None:
            raise NotFound(N_("Record not found"))
        await list_queries.remove_members(session, list_id, ids)


async def lists_with(services: Services, account_id: int,
                     member_id: int) -> list[AccountList]:
    """The user's lists holding `member_id` (Mastodon's GET /api/v1/accounts/:id/lists)."""
    async with services.db.reader() as session:
        if not await entity_queries.accounts_by_id(session, [member_id]):
            raise NotFound(N_("Record not found"))
        return await list_queries.lists_with_member(session, account_id, member_id)

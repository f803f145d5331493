"""What the web app's list pages show (the lists themselves, their members and timelines
are server.services.social.lists' and reading.timelines'): members and followed accounts
as cards, and which of the viewer's lists hold one account (the profile menu's page)."""

from __future__ import annotations

from dataclasses import dataclass

from server.i18n import N_
from server.services.context import Services
from server.services.errors import NotFound
from server.services.reading import account_search, profiles
from server.services.reading.post_cards import AccountCard, account_card
from server.services.social import lists as list_service
from storage import entities as entity_queries
from storage import follows as follow_queries
from storage.models import AccountList

FOLLOWED_SHOWN = 20


@dataclass(frozen=True)
class Membership:
    """One account and the viewer's lists, with those holding it."""

    account: AccountCard
    followed: bool  # only followed accounts (or the viewer) can be added
    lists: list[AccountList]
    holding: set[int]


async def _cards(services: Services, ids: list[int]) -> list[AccountCard]:
    async with services.db.reader() as session:
        found = await entity_queries.accounts_by_id(session, ids)
    return [account_card(services.config, found[i]) for i in ids
            if i in found and found[i].deleted_at is None]


async def members(services: Services, account_id: int, list_id: int) -> list[AccountCard]:
    """The list's members (NotFound for another's list)."""
    return await _cards(services, await list_service.member_ids(services, account_id, list_id,
                                                                None))


async def followed_matching(services: Services, account_id: int,
                            query: str) -> list[AccountCard]:
    """Accounts the viewer follows whose name or handle matches: the candidates to add
    (known here only: adding needs a follow, so nothing is looked up elsewhere)."""
    ids = await account_search.search_account_ids(
        services, query, viewer_account_id=account_id, resolve=False, following=True,
        limit=FOLLOWED_SHOWN)
    return await _cards(services, ids)


async def membership(services: Services, account_id: int, handle: str) -> Membership:
    """The account named `handle` and the viewer's lists (NotFound for an unknown one)."""
    view = await profiles.profile(services, handle)
    cards = await _cards(services, [view.id])
    if not cards:
        raise NotFound(N_("that account was deleted"))
    async with services.db.reader() as session:
        follows = await follow_queries.follows_from(session, account_id, [view.id])
    return Membership(
        account=cards[0], followed=view.id == account_id or view.id in follows,
        lists=await list_service.lists_of(services, account_id),
        holding={row.id for row in await list_service.lists_with(services, account_id,
                                                                 view.id)})

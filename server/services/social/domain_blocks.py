"""The servers a local person blocks: Mastodon's AccountDomainBlock, one person's filter and
nothing to do with the instance's own domain blocks (server.services.moderation.domain_blocks).

What blocking does follows Mastodon (Account#block_domain!, then
AfterBlockDomainFromAccountService): the person's notifications from that server are deleted,
their follows of its accounts undone (`Undo{Follow}`, as UnfollowService), its accounts' follows
of them and pending requests removed and answered with `Reject{Follow}`; no `Block` is sent,
the server is never told of the block itself. Here it all happens in the block's transaction
(the deliveries are jobs); Mastodon runs the clean-up in a worker after creating the row.

From then on (the filters, each where account blocks and mutes already apply): home, lists, the
federated and hashtag timelines, search and notifications leave out that server's accounts and
boosts of their posts (storage.timelines, storage.post_search, storage.notification_lists);
a thread leaves out their posts around the one opened (thread_hidden_authors, as Mastodon's
context does through StatusFilter) and a post's page their remixes (storage.post_page, as
Mastodon's quotes list); no notification is made from them (server.services.social
.notifications) and their direct messages start or join no conversation
(server.services.social.conversations), as Mastodon's NotifyService drops both; their Follow
is Rejected (server.services.federation.inbound.follows) and the person cannot follow them
(server.services.social.follows), as Mastodon's ActivityPub::Activity::Follow and
FollowService#following_not_allowed? refuse. As in Mastodon, profiles still show their posts,
who liked or boosted a post still lists them (its favourited_by and reblogged_by leave out
blocked and muted accounts only) and account search still finds them (AccountSearchService
filters neither). The archive lists the blocked servers in blocked_domains.csv
(server.services.accounts.account_export, Mastodon's Export#to_blocked_domains_csv).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.render import to_activitypub
from server.services.context import Services
from server.services.errors import InvalidInput
from server.services.federation.outbound import delivery
from server.services.social.blocks import local_person
from storage import account_domain_blocks as queries
from storage import follows as follow_queries
from storage import notifications as notification_queries
from storage.ids import new_id
from storage.models import Account, AccountDomainBlock, Follow
from storage.pagination import Page

# What accounts.domain holds: lowercase host names (IDNA), an optional port.
DOMAIN = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*(:[0-9]{1,5})?")
MAX_DOMAIN = 255


@dataclass(frozen=True)
class DomainBlockView:
    id: int
    domain: str
    created_at: datetime


def _view(row: AccountDomainBlock) -> DomainBlockView:
    return DomainBlockView(row.id, row.domain, row.created_at)


def normalize(services: Services, text: str) -> str:
    """A domain as typed ('Example.COM.', 'https://example.com/@someone', 'bücher.example')
    -> its stored form, as accounts.domain: lowercase, IDNA, host[:port] only. The instance's
    own domain is refused: a person blocks other servers, not the one they are on."""
    value = text.strip().lower()
    value = urlsplit(value).netloc if "://" in value else value.partition("/")[0]
    value = value.rpartition("@")[2].rstrip(".")
    if not value:
        raise InvalidInput(N_("a domain to block is needed"))
    try:
        value = value if value.isascii() else value.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidInput(N_("%(domain)s is not a domain name"), domain=text.strip()) from None
    if len(value) > MAX_DOMAIN or not DOMAIN.fullmatch(value):
        raise InvalidInput(N_("%(domain)s is not a domain name"), domain=text.strip())
    own = services.config.instance.domain.lower()
    if value in (own, own.partition(":")[0]):
        raise InvalidInput(N_("%(domain)s is this server's own domain: it cannot be blocked"),
                           domain=value)
    return value


async def block_domain(services: Services, username: str, text: str) -> DomainBlockView:
    """`username` blocks the server `text` names. Blocking it again changes nothing."""
    domain = normalize(services, text)
    async with services.db.writer.begin() as session:
        account = await local_person(session, username)
        existing = await queries.block_of(session, account.id, domain)
        if existing is not None:
            return _view(existing)
        row = AccountDomainBlock(account_id=account.id, domain=domain)
        session.add(row)
        await session.flush()
        await notification_queries.delete_from_domain(session, account.id, domain)
        await _end_follows(services, session, account, domain)
        return _view(row)


async def _end_follows(services: Services, session: AsyncSession, account: Account,
                       domain: str) -> None:
    """Mastodon's remove_follows!, reject_existing_followers! and
    reject_pending_follow_requests!: each follow between the person and the server's
    accounts ends, and the other side is told unless its actor is gone."""
    rows = await follow_queries.follows_with_domain(session, account.id, domain)
    for row, other in rows:
        if other.deleted_at is None:
            answer = _undo_or_reject(services, row, account, other)
            await delivery.publish(session, account.id, answer,
                                   [delivery.personal_inbox(other)])
    await follow_queries.delete_follows(session, [row.id for row, _ in rows])


def _undo_or_reject(services: Services, row: Follow, account: Account,
                    other: Account) -> dict[str, Any]:
    if row.account_id == account.id:  # the person's own follow: Undo it
        return to_activitypub.undo_follow(row, account, other, services.urls)
    # their follow (accepted or pending): Reject it, naming their Follow's id
    return to_activitypub.reject_follow(row, other, account, serial=new_id())


async def unblock_domain(services: Services, username: str, text: str) -> bool:
    """Lift `username`'s block of a server; False when there was none. Follows ended by the
    block stay ended, as in Mastodon."""
    domain = normalize(services, text)
    async with services.db.writer.begin() as session:
        account = await local_person(session, username)
        row = await queries.block_of(session, account.id, domain)
        if row is None:
            return False
        await queries.delete_block(session, row.id)
        return True


async def list_blocks(services: Services, username: str) -> list[DomainBlockView]:
    """The person's blocked servers, newest block first."""
    async with services.db.reader() as session:
        account = await local_person(session, username)
        return [_view(row) for row in await queries.blocks_of(session, account.id)]


async def blocks_page(services: Services, account_id: int, page: Page) -> list[DomainBlockView]:
    """A page of the account's blocked servers, newest first, by the block's id (the client
    API's Link cursors)."""
    async with services.db.reader() as session:
        return [_view(row) for row in await queries.blocks_page(session, account_id, page)]


async def is_blocked(session: AsyncSession, account_id: int, other_id: int) -> bool:
    """Whether local account `account_id` blocks the server account `other_id` is on (never
    for a local account): the decisions made one account at a time ask it."""
    return await queries.blocks_domain_of(session, account_id, other_id)

"""Blocks made by local users.

Mastodon's BlockService is the model (app/services/block_service.rb and unfollow_service.rb):
a block ends the follows both ways; for a remote target our follow is undone with
`Undo{Follow}`, its follow of us (or its pending request) is answered with `Reject{Follow}`,
and a `Block` goes to the target's personal inbox. `Undo{Block}` lifts it
(unblock_service.rb). Ids as Mastodon's BlockSerializer / UndoBlockSerializer make them:
`{actor}#blocks/{id}` and `{actor}#blocks/{id}/undo`.

Incoming Blocks (server.services.federation.inbound.blocks) and what a block hides
(storage.timelines, server.services.social.notifications) live elsewhere.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.render import to_activitypub
from server.services.context import Services
from server.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from server.services.federation.outbound import delivery
from server.services.federation.remote import RemoteError, resolve_account, split_handle
from storage import account_domain_blocks as domain_block_queries
from storage import accounts as account_queries
from storage import blocks as block_queries
from storage import follows as follow_queries
from storage import mutes as mute_queries
from storage import statuses as status_queries
from storage.models import Account, Block, Follow
from storage.types import utcnow


@dataclass(frozen=True)
class BlockView:
    handle: str  # user@host
    uri: str
    created_at: datetime


def handle_of(account: Account, domain: str) -> str:
    return f"{account.username}@{account.domain or domain}"


async def local_person(session: AsyncSession, username: str) -> Account:
    account = await account_queries.local_account_by_username(session, username)
    if account is None or account.actor_type == "Application" or account.deleted_at:
        raise NotFound(N_("no local account named %(username)r"), username=username)
    return account


async def known_account(services: Services, session: AsyncSession,
                        handle: str) -> Account | None:
    """An account already stored here, by `name` (local), user@host or actor URL."""
    text = handle.strip()
    if text.startswith(("http://", "https://")):
        return await account_queries.account_by_uri(session, text)
    if "@" not in text.lstrip("@"):
        return await account_queries.local_account_by_username(session, text.lstrip("@"))
    username, domain = split_handle(text)
    if domain == services.config.instance.domain:
        return await account_queries.local_account_by_username(session, username)
    return await account_queries.remote_account_by_handle(session, username, domain)


async def target_account(services: Services, handle: str) -> Account:
    """The account to block or mute: a stored one, else looked up (WebFinger, actor fetch)."""
    async with services.db.reader() as session:
        account = await known_account(services, session, handle)
    if account is None:
        if "@" not in handle.strip().lstrip("@") and not handle.startswith("http"):
            raise NotFound(N_("no local account named %(username)r"), username=handle)
        try:
            account = await resolve_account(services, handle)
        except RemoteError as exc:
            raise NotFound(N_("%(handle)s could not be found: %(reason)s"),
                           handle=handle, reason=str(exc)) from None
    if account.actor_type == "Application":
        raise InvalidInput(N_("%(handle)s is a server's own actor, not a person"), handle=handle)
    return account


def block_uri(block: Block, blocker: Account) -> str:
    return block.uri or f"{blocker.uri}#blocks/{block.id}"


async def block(services: Services, username: str, handle: str) -> BlockView:
    """`username` blocks `handle`. Blocking again changes nothing and sends nothing."""
    return await block_account(services, username, await target_account(services, handle))


async def block_account(services: Services, username: str, target: Account) -> BlockView:
    domain = services.config.instance.domain
    async with services.db.writer.begin() as session:
        blocker = await local_person(session, username)
        if target.id == blocker.id:
            raise ServiceError(N_("an account cannot block itself"))
        existing = await block_queries.block_between(session, blocker.id, target.id)
        if existing is not None:
            return BlockView(handle_of(target, domain), target.uri, existing.created_at)
        await _end_follows(services, session, blocker, target)
        row = Block(account_id=blocker.id, target_account_id=target.id)
        session.add(row)
        await session.flush()
        row.uri = block_uri(row, blocker)
        if not target.is_local and target.deleted_at is None:
            await delivery.publish(session, blocker.id,
                                   to_activitypub.block(row.uri, blocker, target),
                                   [delivery.personal_inbox(target)])
        return BlockView(handle_of(target, domain), target.uri, row.created_at)


async def _end_follows(services: Services, session: AsyncSession, blocker: Account,
                       target: Account) -> None:
    """Remove the follows and requests both ways, telling a remote target as Mastodon's
    UnfollowService and RejectFollowService do."""
    rows = await follow_queries.follows_between(session, blocker.id, target.id)
    if not target.is_local and target.deleted_at is None:
        for row in rows:
            outgoing = row.account_id == blocker.id
            await delivery.publish(session, blocker.id,
                                   _undo_or_reject(services, row, blocker, target, outgoing),
                                   [delivery.personal_inbox(target)])
    await follow_queries.delete_follows(session, [row.id for row in rows])


def _undo_or_reject(services: Services, row: Follow, blocker: Account, target: Account,
                    outgoing: bool) -> dict[str, Any]:
    if outgoing:  # our follow of them: Undo it
        return to_activitypub.undo_follow(row, blocker, target, services.urls)
    # their follow of us (accepted or pending): Reject it, naming their Follow's id
    return to_activitypub.reject_follow(row, target, blocker, serial=row.id)


async def unblock(services: Services, username: str, handle: str) -> None:
    async with services.db.reader() as session:
        target = await known_account(services, session, handle)
    if target is None or not await unblock_account(services, username, target):
        raise NotFound(N_("%(username)s does not block %(handle)s"),
                       username=username, handle=handle)


async def unblock_account(services: Services, username: str, target: Account) -> bool:
    """Lift `username`'s block of `target`; False when there was none."""
    async with services.db.writer.begin() as session:
        blocker = await local_person(session, username)
        row = await block_queries.block_between(session, blocker.id, target.id)
        if row is None:
            return False
        if not target.is_local and target.deleted_at is None:
            undo = to_activitypub.undo_block(block_uri(row, blocker), blocker, target)
            await delivery.publish(session, blocker.id, undo, [delivery.personal_inbox(target)])
        await block_queries.delete_block(session, row.id)
        return True


async def list_blocks(services: Services, username: str) -> list[BlockView]:
    domain = services.config.instance.domain
    async with services.db.reader() as session:
        account = await local_person(session, username)
        rows = await block_queries.blocks_of(session, account.id)
    return [BlockView(handle_of(other, domain), other.uri, row.created_at)
            for row, other in rows]


async def refuse_reply(session: AsyncSession, author: Account, parent_author: Account) -> None:
    """A local user blocked by a post's author cannot reply to that post."""
    if await block_queries.blocks(session, parent_author.id, author.id):
        raise Conflict(N_("you cannot reply to this post: @%(username)s has blocked you"),
                       username=parent_author.username)


async def thread_hidden_authors(session: AsyncSession, root_id: int, viewer_id: int | None,
                                authors: Collection[int]) -> set[int]:
    """Whose posts a thread leaves out around the post it is opened on: the accounts the
    thread's first post's local author blocks (for every viewer, logged out included), the
    accounts the viewer mutes and, of the thread's `authors`, those on a server the viewer
    blocks (Mastodon's StatusFilter#blocking_domain?, which its context filters by)."""
    hidden: set[int] = set()
    root = await status_queries.by_id(session, root_id)
    if root is not None and root.local:
        hidden |= await block_queries.blocked_by(session, root.account_id)
    if viewer_id is not None:
        hidden |= await mute_queries.muted_set(session, viewer_id, utcnow())
        hidden |= await domain_block_queries.domain_blocking_among(session, viewer_id,
                                                                   list(authors))
    return hidden

"""Follows in both directions, follow requests, and remote blocks.

The web UI, the client API and the CLI call these; incoming activities reach the `on_*`
functions through server.services.federation.inbound.inbox_apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import builders
from activitypub.parse import ParsedActivity, object_id
from server.services.context import Services
from server.services.errors import AccountSuspended, Conflict, NotFound, ServiceError
from server.services.federation.outbound import delivery
from server.services.federation.remote import account_for_uri, resolve_account
from server.services.social import notifications
from storage import accounts as account_queries
from storage import blocks as block_queries
from storage import follows as follow_queries
from storage.ids import new_id
from storage.models import Account, Block, Follow

PENDING = "pending"
ACCEPTED = "accepted"


@dataclass(frozen=True)
class FollowResult:
    target: str  # the followed actor's id
    state: str   # pending until the target accepts


async def _local_person(session: AsyncSession, username: str) -> Account:
    account = await account_queries.local_account_by_username(session, username)
    if account is None or account.actor_type == "Application" or account.deleted_at:
        raise NotFound(f"no local account named {username!r}")
    if account.suspended_at is not None:
        raise AccountSuspended(f"the account {username!r} is suspended")
    return account


def _follow_activity(services: Services, follow: Follow, follower: Account,
                     target: Account) -> dict[str, Any]:
    uri = follow.uri or services.urls.follow_activity(follower.username, follow.id)
    return builders.follow(uri, follower.uri, target.uri)


def _activity_id(actor: Account, kind: str) -> str:
    return f"{actor.uri}#{kind}/{new_id()}"


# Outgoing -------------------------------------------------------------------------------

async def follow(services: Services, username: str, handle: str) -> FollowResult:
    """`username` (local) follows `handle` (user@host or actor URL)."""
    target = await resolve_account(services, handle)
    async with services.db.writer.begin() as session:
        follower = await _local_person(session, username)
        if target.id == follower.id:
            raise ServiceError("an account cannot follow itself")
        if target.suspended_at is not None:  # as Mastodon's FollowService
            raise NotFound(f"{handle} is suspended on this instance")
        if await block_queries.blocked_either_way(session, follower.id, target.id):
            raise Conflict(f"{handle} cannot be followed: one of you blocks the other")
        existing = await follow_queries.follow_between(session, follower.id, target.id)
        if existing is not None:
            return FollowResult(target.uri, existing.state)
        row = Follow(account_id=follower.id, target_account_id=target.id, state=PENDING)
        session.add(row)
        await session.flush()
        row.uri = services.urls.follow_activity(follower.username, row.id)
        if target.is_local:
            if not target.manually_approves_followers:
                row.state = ACCEPTED
            await notifications.notify(session, target.id, follower.id,
                                       notifications.FOLLOW if row.state == ACCEPTED
                                       else notifications.FOLLOW_REQUEST)
        else:
            await delivery.publish(session, follower.id,
                                   _follow_activity(services, row, follower, target),
                                   [delivery.personal_inbox(target)])
        return FollowResult(target.uri, row.state)


async def unfollow(services: Services, username: str, handle: str) -> None:
    target = await resolve_account(services, handle)
    async with services.db.writer.begin() as session:
        follower = await _local_person(session, username)
        row = await follow_queries.follow_between(session, follower.id, target.id)
        if row is None:
            raise NotFound(f"{username} does not follow {handle}")
        if not target.is_local:
            activity = _follow_activity(services, row, follower, target)
            undo = builders.undo(f"{activity['id']}/undo", follower.uri, activity)
            await delivery.publish(session, follower.id, undo,
                                   [delivery.personal_inbox(target)])
        await follow_queries.delete_follow(session, row.id)


async def answer_request(services: Services, username: str, handle: str, *,
                         approve: bool) -> None:
    """Approve or reject a pending follow request to a local account."""
    requester = await resolve_account(services, handle)
    async with services.db.writer.begin() as session:
        target = await _local_person(session, username)
        row = await follow_queries.follow_between(session, requester.id, target.id)
        if row is None or row.state != PENDING:
            raise NotFound(f"no pending follow request from {handle} to {username}")
        if approve:
            row.state = ACCEPTED
        else:
            await follow_queries.delete_follow(session, row.id)
        if not requester.is_local:
            await _answer(session, target, requester, row, accept=approve)


async def _answer(session: AsyncSession, target: Account, follower: Account, row: Follow,
                  *, accept: bool) -> None:
    follow_doc = builders.follow(row.uri or "", follower.uri, target.uri)
    if accept:
        answer = builders.accept(_activity_id(target, "accepts"), target.uri, follow_doc)
    else:
        answer = builders.reject(_activity_id(target, "rejects"), target.uri, follow_doc)
    await delivery.publish(session, target.id, answer, [delivery.personal_inbox(follower)])


# Incoming -------------------------------------------------------------------------------

async def _local_target(session: AsyncSession, services: Services,
                        uri: str | None) -> Account | None:
    if not uri:
        return None
    account = await account_queries.account_by_uri(session, uri)
    if account is None or not account.is_local or account.actor_type == "Application" \
            or account.deleted_at is not None or account.suspended_at is not None:
        return None
    return account


async def on_follow(services: Services, activity: ParsedActivity) -> str:
    """A remote actor follows a local one: Accept, or keep a pending request when the local
    account approves followers by hand, or Reject when blocked."""
    follower = await account_for_uri(services, activity.actor)
    async with services.db.writer.begin() as session:
        target = await _local_target(session, services, activity.object_id)
        if target is None:
            return "ignored: not a local account"
        if await block_queries.blocked_either_way(session, follower.id, target.id):
            refused = Follow(account_id=follower.id, target_account_id=target.id,
                             uri=activity.id)
            await _answer(session, target, follower, refused, accept=False)
            return "rejected: blocked"
        row = await follow_queries.follow_between(session, follower.id, target.id)
        if row is not None:
            # A repeated Follow (their side lost state, or re-keyed): answer again.
            row.uri = activity.id
            if row.state == ACCEPTED:
                await _answer(session, target, follower, row, accept=True)
            return f"repeated follow, {row.state}"
        # A silenced follower needs approval even from an unlocked account (Mastodon's
        # ActivityPub::Activity::Follow: `target_account.locked? || @account.silenced?`).
        approval = target.manually_approves_followers or follower.silenced_at is not None
        row = Follow(account_id=follower.id, target_account_id=target.id, uri=activity.id,
                     state=PENDING if approval else ACCEPTED)
        session.add(row)
        await session.flush()
        await notifications.notify(session, target.id, follower.id,
                                   notifications.FOLLOW if row.state == ACCEPTED
                                   else notifications.FOLLOW_REQUEST)
        if row.state == ACCEPTED:
            await _answer(session, target, follower, row, accept=True)
        return row.state


async def _our_follow(session: AsyncSession, activity: ParsedActivity,
                      remote: Account) -> Follow | None:
    """The Follow of ours that an Accept/Reject names: by its id, else by its content (some
    servers send a Follow without id, or with only actor/object)."""
    uri = activity.object_id
    if uri:
        row = await follow_queries.follow_by_uri(session, uri)
        if row is not None and row.target_account_id == remote.id:
            return row
    inner = activity.object or {}
    local = await account_queries.account_by_uri(session, object_id(inner.get("actor")) or "")
    if local is None or not local.is_local:
        return None
    return await follow_queries.follow_between(session, local.id, remote.id)


async def on_accept(services: Services, activity: ParsedActivity) -> str:
    remote = await account_for_uri(services, activity.actor)
    async with services.db.writer.begin() as session:
        row = await _our_follow(session, activity, remote)
        if row is None:
            return "ignored: no such follow request"
        row.state = ACCEPTED
        return "accepted"


async def on_reject(services: Services, activity: ParsedActivity) -> str:
    """The remote refused our follow, or removed us from its followers."""
    remote = await account_for_uri(services, activity.actor)
    async with services.db.writer.begin() as session:
        row = await _our_follow(session, activity, remote)
        if row is None:
            return "ignored: no such follow"
        await follow_queries.delete_follow(session, row.id)
        return "follow removed"


async def on_undo_follow(services: Services, activity: ParsedActivity) -> str:
    remote = await account_for_uri(services, activity.actor)
    inner = activity.object or {}
    async with services.db.writer.begin() as session:
        row = await follow_queries.follow_by_uri(session, activity.object_id or "")
        if row is None or row.account_id != remote.id:
            target = await _local_target(session, services, object_id(inner.get("object")))
            if target is None:
                return "ignored: not a follow of a local account"
            row = await follow_queries.follow_between(session, remote.id, target.id)
        if row is None:
            return "ignored: no such follow"
        await follow_queries.delete_follow(session, row.id)
        return "unfollowed"


async def on_block(services: Services, activity: ParsedActivity) -> str:
    """A remote actor blocks a local one: follows end both ways and the block is kept."""
    remote = await account_for_uri(services, activity.actor)
    async with services.db.writer.begin() as session:
        target = await _local_target(session, services, activity.object_id)
        if target is None:
            return "ignored: not a local account"
        for a, b in ((remote.id, target.id), (target.id, remote.id)):
            row = await follow_queries.follow_between(session, a, b)
            if row is not None:
                await follow_queries.delete_follow(session, row.id)
        if await block_queries.block_between(session, remote.id, target.id) is None:
            session.add(Block(account_id=remote.id, target_account_id=target.id,
                              uri=activity.id))
        return "blocked"


async def on_undo_block(services: Services, activity: ParsedActivity) -> str:
    remote = await account_for_uri(services, activity.actor)
    async with services.db.writer.begin() as session:
        row = await block_queries.block_by_uri(session, activity.object_id or "")
        if row is None:
            inner = activity.object or {}
            target = await _local_target(session, services, object_id(inner.get("object")))
            row = await block_queries.block_between(session, remote.id, target.id) \
                if target else None
        if row is None or row.account_id != remote.id:
            return "ignored: no such block"
        await block_queries.delete_block(session, row.id)
        return "unblocked"


@dataclass(frozen=True)
class Relationships:
    followers: list[str]
    following: list[str]
    requests: list[str]   # pending requests to follow this account
    requested: list[str]  # this account's own requests not yet accepted


def handle_of(account: Account, local_domain: str) -> str:
    return f"{account.username}@{account.domain or local_domain}"


async def relationships(services: Services, username: str) -> Relationships:
    domain = services.config.instance.domain
    async with services.db.reader() as session:
        account = await _local_person(session, username)
        rows = await follow_queries.all_follows_of(session, account.id)
    lists: dict[str, list[str]] = {"followers": [], "following": [], "requests": [],
                                   "requested": []}
    for row, other in rows:
        incoming = row.target_account_id == account.id
        key = ("followers" if incoming else "following") if row.state == ACCEPTED else \
            ("requests" if incoming else "requested")
        lists[key].append(handle_of(other, domain))
    return Relationships(**{k: sorted(v) for k, v in lists.items()})

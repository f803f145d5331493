"""Inbound `Follow`, `Accept`, `Reject` and `Undo` of a Follow: remote accounts following
local ones, and remote answers to our follow requests. Reached through inbox_apply's dispatch;
a local account's own follows are in server.services.social.follows."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.parse import ParsedActivity, object_id
from server.services.context import Services
from server.services.federation.inbound.common import actor_account, local_target
from server.services.social import domain_blocks, notifications
from server.services.social.follows import ACCEPTED, PENDING, send_answer
from storage import accounts as account_queries
from storage import blocks as block_queries
from storage import follows as follow_queries
from storage.models import Account, Follow


async def on_follow(services: Services, activity: ParsedActivity) -> str:
    """A remote actor follows a local one: Accept, or keep a pending request when the local
    account approves followers by hand, or Reject when blocked (the account or its server)."""
    follower = await actor_account(services, activity.actor)
    async with services.db.writer.begin() as session:
        target = await local_target(session, activity.object_id)
        if target is None:
            return "ignored: not a local account"
        # Refused when either blocks the other, or when the target blocks the follower's
        # server (Mastodon's ActivityPub::Activity::Follow: domain_blocking? rejects too).
        if await block_queries.blocked_either_way(session, follower.id, target.id) \
                or await domain_blocks.is_blocked(session, target.id, follower.id):
            refused = Follow(account_id=follower.id, target_account_id=target.id,
                             uri=activity.id)
            await send_answer(session, target, follower, refused, accept=False)
            return "rejected: blocked"
        row = await follow_queries.follow_between(session, follower.id, target.id)
        if row is not None:
            # A repeated Follow (their side lost state, or re-keyed): answer again.
            row.uri = activity.id
            if row.state == ACCEPTED:
                await send_answer(session, target, follower, row, accept=True)
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
            await send_answer(session, target, follower, row, accept=True)
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
    remote = await actor_account(services, activity.actor)
    async with services.db.writer.begin() as session:
        row = await _our_follow(session, activity, remote)
        if row is None:
            return "ignored: no such follow request"
        row.state = ACCEPTED
        return "accepted"


async def on_reject(services: Services, activity: ParsedActivity) -> str:
    """The remote refused our follow, or removed us from its followers."""
    remote = await actor_account(services, activity.actor)
    async with services.db.writer.begin() as session:
        row = await _our_follow(session, activity, remote)
        if row is None:
            return "ignored: no such follow"
        await follow_queries.delete_follow(session, row.id)
        return "follow removed"


async def on_undo_follow(services: Services, activity: ParsedActivity) -> str:
    remote = await actor_account(services, activity.actor)
    inner = activity.object or {}
    async with services.db.writer.begin() as session:
        row = await follow_queries.follow_by_uri(session, activity.object_id or "")
        if row is None or row.account_id != remote.id:
            target = await local_target(session, object_id(inner.get("object")))
            if target is None:
                return "ignored: not a follow of a local account"
            row = await follow_queries.follow_between(session, remote.id, target.id)
        if row is None:
            return "ignored: no such follow"
        await follow_queries.delete_follow(session, row.id)
        return "unfollowed"

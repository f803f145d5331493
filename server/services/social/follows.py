"""A local account follows and unfollows, answers follow requests, and lists its follows.

The web UI, the client API and the CLI call these. Inbound Follow, Accept, Reject and Undo
are in server.services.federation.inbound.follows; inbound Block in inbound.blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.render import to_activitypub
from server.services.context import Services
from server.services.errors import AccountSuspended, Conflict, Forbidden, NotFound
from server.services.federation.outbound import delivery
from server.services.federation.remote import resolve_account
from server.services.social import domain_blocks, notifications
from storage import accounts as account_queries
from storage import blocks as block_queries
from storage import follows as follow_queries
from storage.ids import new_id
from storage.models import Account, Follow

PENDING = "pending"
ACCEPTED = "accepted"


@dataclass(frozen=True)
class FollowResult:
    target: str  # the followed actor's id
    state: str   # pending until the target accepts
    show_reblogs: bool = True
    notify: bool = False


async def _local_person(session: AsyncSession, username: str) -> Account:
    account = await account_queries.local_account_by_username(session, username)
    if account is None or account.actor_type == "Application" or account.deleted_at:
        raise NotFound(N_("no local account named %(username)r"), username=username)
    if account.suspended_at is not None:
        raise AccountSuspended(N_("the account %(username)r is suspended"), username=username)
    return account


async def follow(services: Services, username: str, handle: str) -> FollowResult:
    """`username` (local) follows `handle` (user@host or actor URL)."""
    return await follow_account(services, username, await resolve_account(services, handle))


async def follow_account(services: Services, username: str, target: Account, *,
                         reblogs: bool | None = None,
                         notify: bool | None = None) -> FollowResult:
    """`username` follows `target` (its boosts shown in home unless reblogs=False; a
    notification for each of its posts with notify=True). Following again changes the
    options given and nothing else, as Mastodon's FollowService."""
    async with services.db.writer.begin() as session:
        follower = await _local_person(session, username)
        if target.id == follower.id:
            raise Forbidden(N_("Following your own account is not allowed"))
        if target.suspended_at is not None or target.deleted_at is not None:
            # as Mastodon's FollowService: an unavailable account cannot be found to follow
            gone = (N_("%(handle)s is suspended on this instance") if target.suspended_at
                    else N_("%(handle)s is deleted on this instance"))
            raise NotFound(gone, handle=handle_of(target, services.config.instance.domain))
        if await block_queries.blocked_either_way(session, follower.id, target.id):
            raise Conflict(N_("%(handle)s cannot be followed: one of you blocks the other"),
                           handle=handle_of(target, services.config.instance.domain))
        if await domain_blocks.is_blocked(session, follower.id, target.id):
            # Mastodon's FollowService#following_not_allowed?: domain_blocking?
            raise Forbidden(N_("%(handle)s cannot be followed: you block its server"),
                            handle=handle_of(target, services.config.instance.domain))
        existing = await follow_queries.follow_between(session, follower.id, target.id)
        if existing is not None:
            _set_options(existing, reblogs, notify)
            return FollowResult(target.uri, existing.state, existing.show_reblogs,
                                existing.notify)
        row = Follow(account_id=follower.id, target_account_id=target.id, state=PENDING)
        _set_options(row, reblogs, notify)
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
                                   to_activitypub.follow(row, follower, target, services.urls),
                                   [delivery.personal_inbox(target)])
        return FollowResult(target.uri, row.state, row.show_reblogs, row.notify)


def _set_options(row: Follow, reblogs: bool | None, notify: bool | None) -> None:
    if reblogs is not None:
        row.show_reblogs = reblogs
    if notify is not None:
        row.notify = notify


async def unfollow(services: Services, username: str, handle: str) -> None:
    target = await resolve_account(services, handle)
    if not await unfollow_account(services, username, target):
        raise NotFound(N_("%(username)s does not follow %(handle)s"),
                       username=username, handle=handle)


async def unfollow_account(services: Services, username: str, target: Account) -> bool:
    """End `username`'s follow (or follow request) of `target`; False when there was none."""
    async with services.db.writer.begin() as session:
        follower = await _local_person(session, username)
        row = await follow_queries.follow_between(session, follower.id, target.id)
        if row is None:
            return False
        if not target.is_local:
            undo = to_activitypub.undo_follow(row, follower, target, services.urls)
            await delivery.publish(session, follower.id, undo,
                                   [delivery.personal_inbox(target)])
        await follow_queries.delete_follow(session, row.id)
        return True


async def remove_follower(services: Services, username: str, follower: Account) -> None:
    """`follower` no longer follows `username`: its follow is removed and, for a remote
    follower, Rejected, as Mastodon's RemoveFromFollowersService. Nothing when it did not
    follow."""
    async with services.db.writer.begin() as session:
        target = await _local_person(session, username)
        row = await follow_queries.follow_between(session, follower.id, target.id)
        if row is None or row.state != ACCEPTED:
            return
        if not follower.is_local and follower.deleted_at is None:
            await send_answer(session, target, follower, row, accept=False)
        await follow_queries.delete_follow(session, row.id)


async def answer_request(services: Services, username: str, handle: str, *,
                         approve: bool) -> None:
    """Approve or reject a pending follow request to a local account."""
    requester = await resolve_account(services, handle)
    await answer_request_of(services, username, requester, approve=approve)


async def answer_request_of(services: Services, username: str, requester: Account, *,
                            approve: bool) -> None:
    async with services.db.writer.begin() as session:
        target = await _local_person(session, username)
        row = await follow_queries.follow_between(session, requester.id, target.id)
        if row is None or row.state != PENDING:
            raise NotFound(N_("no pending follow request from %(requester)s to %(username)s"),
                           requester=handle_of(requester, services.config.instance.domain),
                           username=username)
        if approve:
            row.state = ACCEPTED
        else:
            await follow_queries.delete_follow(session, row.id)
        if not requester.is_local:
            await send_answer(session, target, requester, row, accept=approve)


async def send_answer(session: AsyncSession, target: Account, follower: Account, row: Follow,
                      *, accept: bool) -> None:
    """Send a local account's Accept or Reject of a remote follow (or follow request)."""
    answer = (to_activitypub.accept_follow if accept else to_activitypub.reject_follow)(
        row, follower, target, serial=new_id())
    await delivery.publish(session, target.id, answer, [delivery.personal_inbox(follower)])


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

"""Account migration (Move), both ways, and the aliases that allow it.

As Mastodon does it (app/models/account_alias.rb, app/services/move_service.rb,
app/lib/activitypub/activity/move.rb, app/workers/move_worker.rb):
- The NEW account first lists the old one in `alsoKnownAs` (an alias). The OLD account then
  moves: it records `movedTo` and sends `Move {actor: old, object: old, target: new}` to its
  followers, whose servers check that the target lists the origin before following it.
- Receiving a Move: the actor must be moving itself, the target is fetched fresh and must list
  the origin in `alsoKnownAs`; then every local follower of the origin unfollows it and
  follows the target (a local target is followed directly, bypassing its lock, as
  MoveWorker's bypass_locked does). Applying it twice changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.parse import ParsedActivity, object_id, same_origin
from server.i18n import N_
from server.render import to_activitypub
from server.services.context import Services
from server.services.errors import Conflict, Dropped, InvalidInput, NotFound
from server.services.federation.outbound import delivery
from server.services.federation.outbound.actor_updates import send_actor_update
from server.services.federation.remote import RemoteError, account_for_uri, resolve_account
from server.services.social import blocks, mutes, notifications
from storage import account_data
from storage import accounts as account_queries
from storage import blocks as block_queries
from storage import follows as follow_queries
from storage import mutes as mute_queries
from storage.ids import new_id
from storage.models import Account, Follow

log = logging.getLogger(__name__)

MAX_ALIASES = 10


@dataclass(frozen=True)
class Aliases:
    also_known_as: list[str]
    moved_to: str | None


@dataclass(frozen=True)
class MoveResult:
    target: str
    inboxes: int          # servers the Move was sent to
    local_followers: int  # local followers moved to the target here


async def _local_person(session: AsyncSession, username: str) -> Account:
    account = await account_queries.local_account_by_username(session, username)
    if account is None or account.actor_type == "Application" or account.deleted_at:
        raise NotFound(N_("no local account named %(name)r"), name=username)
    return account


async def _fresh(services: Services, ref: str) -> Account:
    """An account by handle or URL, refetched from its origin when remote: a move is
    decided on what the other account says now, never on a cached copy."""
    try:
        account = await resolve_account(services, ref)
        if not account.is_local:
            account = await account_for_uri(services, account.uri, refresh=True)
    except RemoteError as exc:
        raise NotFound(N_("cannot resolve %(ref)s: %(reason)s"), ref=ref,
                       reason=str(exc)) from exc
    if account.actor_type == "Application" or account.deleted_at is not None \
            or account.suspended_at is not None:
        raise NotFound(N_("%(ref)s is not an account that can be moved to or from"), ref=ref)
    return account


# --- aliases ----------------------------------------------------------------------------------


async def list_aliases(services: Services, username: str) -> Aliases:
    async with services.db.reader() as session:
        account = await _local_person(session, username)
        return Aliases(list(account.also_known_as or []), account.moved_to_uri)


async def add_alias(services: Services, username: str, ref: str) -> Aliases:
    """`username` says it is also `ref` (the account it is moving from)."""
    other = await _fresh(services, ref)
    async with services.db.writer.begin() as session:
        account = await _local_person(session, username)
        if other.id == account.id:
            raise InvalidInput(N_("an account cannot be an alias of itself"))
        aliases = list(account.also_known_as or [])
        if other.uri in aliases:
            return Aliases(aliases, account.moved_to_uri)
        if len(aliases) >= MAX_ALIASES:
            raise Conflict(N_("an account has at most %(limit)s aliases"), limit=MAX_ALIASES)
        account.also_known_as = [*aliases, other.uri]
        await send_actor_update(services, session, account)
        return Aliases(account.also_known_as, account.moved_to_uri)


async def remove_alias(services: Services, username: str, ref: str) -> Aliases:
    async with services.db.reader() as session:
        account = await _local_person(session, username)
        aliases = list(account.also_known_as or [])
    uri = ref.strip()
    if uri not in aliases:  # a handle: the alias is stored by actor id
        try:
            uri = (await resolve_account(services, ref)).uri
        except RemoteError as exc:
            raise NotFound(N_("cannot resolve %(ref)s: %(reason)s"), ref=ref,
                           reason=str(exc)) from exc
    async with services.db.writer.begin() as session:
        account = await _local_person(session, username)
        aliases = list(account.also_known_as or [])
        if uri not in aliases:
            raise NotFound(N_("%(ref)s is not an alias of %(name)s"), ref=ref, name=username)
        account.also_known_as = [alias for alias in aliases if alias != uri]
        await send_actor_update(services, session, account)
        return Aliases(account.also_known_as, account.moved_to_uri)


# --- moving out -------------------------------------------------------------------------------


async def move_account(services: Services, username: str, target_ref: str) -> MoveResult:
    """Move local `username` to `target_ref`, which must already list it in alsoKnownAs."""
    async with services.db.reader() as session:
        origin = await _local_person(session, username)
    target = await _fresh(services, target_ref)
    if target.id == origin.id:
        raise InvalidInput(N_("an account cannot move to itself"))
    if origin.uri not in (target.also_known_as or []):
        raise Conflict(N_("%(ref)s does not list %(uri)s among its aliases (alsoKnownAs): add "
                          "the alias on the new account first"), ref=target_ref, uri=origin.uri)
    async with services.db.writer.begin() as session:
        origin = await _local_person(session, username)
        origin.moved_to_uri, origin.moved_to_account_id = target.uri, target.id
        inboxes = await follow_queries.follower_inboxes(session, origin.id)
        move = to_activitypub.move(origin, target, serial=new_id())
        await delivery.publish(session, origin.id, move, inboxes)
        await send_actor_update(services, session, origin)
        moved = await migrate_local_followers(services, session, origin, target)
    await carry_blocks_and_mutes(services, origin.id, target)
    log.info("%s moved to %s: Move sent to %d inboxes, %d local followers moved",
             origin.uri, target.uri, len(inboxes), moved)
    return MoveResult(target.uri, len(inboxes), moved)


# --- moving in, and the followers here --------------------------------------------------------


async def on_move(services: Services, activity: ParsedActivity) -> str:
    """A remote account moved (to a remote account or to one of ours)."""
    if activity.object_id != activity.actor:
        raise Dropped("an actor can only move itself")
    if not same_origin(activity.id, activity.actor):
        raise Dropped("a Move must come from its actor's own origin")
    target_uri = object_id(activity.raw.get("target"))
    if target_uri is None:
        raise Dropped("Move names no target")
    async with services.db.reader() as session:
        origin = await account_queries.account_by_uri(session, activity.actor)
    if origin is None or origin.is_local:
        return "ignored: unknown account"
    target = await _move_target(services, target_uri)
    if target.id == origin.id:
        raise Dropped("an account cannot move to itself")
    if origin.uri not in (target.also_known_as or []):
        raise Dropped(f"{target.uri} does not list {origin.uri} in alsoKnownAs")
    async with services.db.writer.begin() as session:
        origin = await account_queries.account_by_id(session, origin.id) or origin
        already = origin.moved_to_account_id == target.id
        origin.moved_to_uri, origin.moved_to_account_id = target.uri, target.id
        moved = await migrate_local_followers(services, session, origin, target)
    await carry_blocks_and_mutes(services, origin.id, target)
    if already and not moved:
        return "ignored: move already applied"
    return f"moved: {moved} local followers now follow {target.uri}"


async def _move_target(services: Services, uri: str) -> Account:
    if same_origin(uri, services.config.base_url):
        async with services.db.reader() as session:
            target = await account_queries.account_by_uri(session, uri)
        if target is None or not target.is_local or target.deleted_at is not None:
            raise Dropped(f"Move to {uri}, which is no account here")
        return target
    try:
        target = await account_for_uri(services, uri, refresh=True)
    except RemoteError as exc:
        raise Dropped(f"the Move target could not be fetched: {exc}") from None
    if target.deleted_at is not None or target.suspended_at is not None:
        raise Dropped(f"the Move target {uri} is deleted or suspended")
    return target


async def migrate_local_followers(services: Services, session: AsyncSession, origin: Account,
                                  target: Account) -> int:
    """Each local follower of `origin` stops following it and follows `target` (Mastodon's
    MoveWorker / UnfollowFollowWorker). Returns how many followers moved."""
    moved = 0
    for follow, follower in await account_data.local_followers(session, origin.id):
        if follower.id == target.id:
            continue
        if not origin.is_local:
            await _send_undo_follow(services, session, follow, follower, origin)
        await follow_queries.delete_follow(session, follow.id)
        if await block_queries.blocked_either_way(session, follower.id, target.id) \
                or await follow_queries.follow_between(session, follower.id, target.id):
            continue
        await _follow(services, session, follower, target)
        moved += 1
    return moved


async def _send_undo_follow(services: Services, session: AsyncSession, follow: Follow,
                            follower: Account, origin: Account) -> None:
    await delivery.publish(session, follower.id,
                           to_activitypub.undo_follow(follow, follower, origin, services.urls),
                           [delivery.personal_inbox(origin)])


async def _follow(services: Services, session: AsyncSession, follower: Account,
                  target: Account) -> None:
    row = Follow(account_id=follower.id, target_account_id=target.id, state="pending")
    session.add(row)
    await session.flush()
    row.uri = services.urls.follow_activity(follower.username, row.id)
    if target.is_local:
        row.state = "accepted"
        await notifications.notify(session, target.id, follower.id, notifications.FOLLOW)
        return
    activity = to_activitypub.follow(row, follower, target, services.urls)
    await delivery.publish(session, follower.id, activity, [delivery.personal_inbox(target)])


async def carry_blocks_and_mutes(services: Services, origin_id: int, target: Account) -> None:
    """Who blocked or muted the old account here blocks or mutes the new one (MoveWorker's
    carry_blocks_over! / carry_mutes_over!), unless they already do or follow it. Through
    the block and mute services, so a block reaches a remote target as Mastodon sends it."""
    async with services.db.reader() as session:
        blockers = await account_data.local_blockers(session, origin_id)
        muters = await account_data.local_muters(session, origin_id)
        skip = {account.id for account, _ in await account_data.local_followers(session,
                                                                                target.id)}
    for blocker in blockers:
        if blocker.id not in skip and blocker.id != target.id:
            await blocks.block(services, blocker.username, target.uri)
    for muter, hide in muters:
        if muter.id not in skip and muter.id != target.id:
            await _mute_unless_muting(services, muter, target, hide)


async def _mute_unless_muting(services: Services, muter: Account, target: Account,
                              hide: bool) -> None:
    async with services.db.reader() as session:
        if await mute_queries.mute_between(session, muter.id, target.id) is not None:
            return  # an existing mute keeps its own settings
    await mutes.mute(services, muter.username, target.uri, notifications=hide)

"""What a local account's relationship to other accounts is, for many at once: the client
API's Relationship (Mastodon's AccountRelationshipsPresenter) and FamiliarFollowers (the
accounts one follows that follow another, FamiliarFollowersPresenter); and the client API's
relationship actions by account id (follow, block, mute and their undoing, follow
requests), through the same services as the web app's, each answering the new
Relationship. Undoing what is not there changes nothing (Mastodon's 200)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from server.i18n import N_
from server.render.to_mastodon.parts import AccountParts, RelationshipParts
from server.services.context import Services
from server.services.errors import Forbidden
from server.services.reading.api_accounts import find_account
from server.services.reading.entities import load_accounts
from server.services.social import blocks, follows, mutes
from server.services.social.relationship_state import load_relationships
from storage import blocks as block_queries
from storage import entities as entity_queries
from storage import follows as follow_queries
from storage.models import Account

# Familiar followers shown per account: Mastodon lists them all; a bound keeps one answer
# small however many accounts both follow (clients show a few names and "and N others").
MAX_FAMILIAR = 40


async def relationships(services: Services, viewer_id: int, ids: Sequence[int], *,
                        with_suspended: bool = False) -> list[RelationshipParts]:
    """Relationships to the accounts among `ids` that exist (suspended ones only with
    `with_suspended`, as Mastodon 4.3), in the order asked, each once."""
    wanted = list(dict.fromkeys(ids))
    async with services.db.reader() as session:
        accounts = await entity_queries.accounts_by_id(session, wanted)
        shown = [i for i in wanted if i in accounts
                 and (with_suspended or accounts[i].suspended_at is None)]
        made = await load_relationships(session, viewer_id, shown)
    return [made[i] for i in shown]


async def relationship(services: Services, viewer_id: int,
                       account_id: int) -> RelationshipParts:
    async with services.db.reader() as session:
        return (await load_relationships(session, viewer_id, [account_id]))[account_id]


async def familiar_followers(services: Services, viewer_id: int, ids: Sequence[int]
                             ) -> list[tuple[int, list[AccountParts]]]:
    """For each of `ids` (not suspended), the accounts the viewer follows that follow it."""
    wanted = list(dict.fromkeys(ids))
    async with services.db.reader() as session:
        accounts = await entity_queries.accounts_by_id(session, wanted)
        shown = [i for i in wanted if i in accounts and accounts[i].suspended_at is None]
        found = await follow_queries.familiar_followers(session, viewer_id, shown)
        found = {i: followers[:MAX_FAMILIAR] for i, followers in found.items()}
        parts = await load_accounts(services, session,
                                    list({f for fs in found.values() for f in fs}))
    return [(i, [parts[f] for f in found.get(i, []) if f in parts]) for i in shown]


# --- what the client API's relationship actions do, each answering the new Relationship --


async def _target(services: Services, account_id: int) -> Account:
    async with services.db.reader() as session:
        return await find_account(session, account_id)


async def follow(services: Services, username: str, viewer_id: int, account_id: int, *,
                 reblogs: bool | None = None, notify: bool | None = None) -> RelationshipParts:
    """Follow (or change the follow's options). An account that does not approve followers
    by hand is answered as followed at once, even while a remote server has yet to Accept,
    as Mastodon answers (its following_map override)."""
    async with services.db.reader() as session:
        target = await find_account(session, account_id)
        if await block_queries.blocked_either_way(session, viewer_id, target.id):
            # Mastodon's FollowService: NotPermittedError, 403
            raise Forbidden(N_("This action is not allowed"))
    result = await follows.follow_account(services, username, target, reblogs=reblogs,
                                          notify=notify)
    found = await relationship(services, viewer_id, account_id)
    if target.manually_approves_followers:
        return found
    return replace(found, following=True, requested=False,
                   showing_reblogs=result.show_reblogs, notifying=result.notify)


async def unfollow(services: Services, username: str, viewer_id: int,
                   account_id: int) -> RelationshipParts:
    await follows.unfollow_account(services, username, await _target(services, account_id))
    return await relationship(services, viewer_id, account_id)


async def remove_from_followers(services: Services, username: str, viewer_id: int,
                                account_id: int) -> RelationshipParts:
    await follows.remove_follower(services, username, await _target(services, account_id))
    return await relationship(services, viewer_id, account_id)


async def answer_request(services: Services, username: str, viewer_id: int, account_id: int,
                         *, approve: bool) -> RelationshipParts:
    """Authorize or reject a pending follow request (NotFound when there is none)."""
    await follows.answer_request_of(services, username, await _target(services, account_id),
                                    approve=approve)
    return await relationship(services, viewer_id, account_id)


async def block(services: Services, username: str, viewer_id: int,
                account_id: int) -> RelationshipParts:
    await blocks.block_account(services, username, await _target(services, account_id))
    return await relationship(services, viewer_id, account_id)


async def unblock(services: Services, username: str, viewer_id: int,
                  account_id: int) -> RelationshipParts:
    await blocks.unblock_account(services, username, await _target(services, account_id))
    return await relationship(services, viewer_id, account_id)


async def mute(services: Services, username: str, viewer_id: int, account_id: int, *,
               notifications: bool, duration: int | None) -> RelationshipParts:
    await mutes.mute_account(services, username, await _target(services, account_id),
                             notifications=notifications, duration=duration)
    return await relationship(services, viewer_id, account_id)


async def unmute(services: Services, username: str, viewer_id: int,
                 account_id: int) -> RelationshipParts:
    await mutes.unmute_account(services, username, await _target(services, account_id))
    return await relationship(services, viewer_id, account_id)

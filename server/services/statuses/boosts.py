"""A local account boosts a status (ours or a stored remote one), and takes it back. On the
wire a boost is an `Announce`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.interaction_policy import ANNOUNCE
from server.i18n import N_
from server.render import to_activitypub
from server.services.context import Services
from server.services.errors import Gone, NotFound
from server.services.federation.outbound import delivery
from server.services.social.notifications import REBLOG, notify, withdraw
from server.services.statuses.policy_requests import needs_request, send_request
from server.services.statuses.targets import actor_and_target
from server.services.statuses.visibility import can_see
from server.services.streaming.publish import deleted, queue_event, status_event
from storage import accounts as account_queries
from storage import blocks as block_queries
from storage import follows as follow_queries
from storage import statuses as status_queries
from storage.models import Account, Status
from storage.types import utcnow


async def _boost_inboxes(session: AsyncSession, actor: Account, author: Account) -> list[str]:
    """A boost goes to the booster's followers and to the boosted author, through its shared
    inbox when it has one: one POST to a server where the author is also a follower
    (Mastodon's StatusReachFinder reaches the reblogged account through Account.inboxes)."""
    author_inbox = [] if author.is_local else [delivery.preferred_inbox(author)]
    followers = await follow_queries.follower_inboxes(session, actor.id)
    return list(dict.fromkeys([*followers, *author_inbox]))


async def boost(services: Services, username: str, ref: str) -> None:
    """An Announce to our followers and to the author; only public and unlisted posts."""
    async with services.db.writer.begin() as session:
        actor, status, author = await actor_and_target(session, username, ref)
        if await status_queries.boost_of(session, actor.id, status.id) is not None:
            return
        pending = await needs_request(session, actor, status, ANNOUNCE)
        row = Status(uri="", account_id=actor.id, local=True, visibility="public",
                     reblog_of_id=status.id, pending_approval=pending)
        session.add(row)
        await session.flush()
        row.uri = services.urls.status(actor.username, row.id)
        if pending:  # announced and counted once its author approves
            await send_request(session, actor, author, status, ANNOUNCE, row.id,
                               to_activitypub.announce(row, actor, status, author,
                                                       services.config))
            return
        queue_event(session, await status_event(session, "update", row))
        await status_queries.increment(session, status.id, "reblogs_count")
        if author.is_local:
            await notify(session, author.id, actor.id, "reblog", status.id)
        announce = to_activitypub.announce(row, actor, status, author, services.config)
        inboxes = await _boost_inboxes(session, actor, author)
        await delivery.publish(session, actor.id, announce, inboxes)


async def unboost(services: Services, username: str, ref: str) -> None:
    async with services.db.writer.begin() as session:
        actor, status, author = await actor_and_target(session, username, ref)
        row = await status_queries.boost_of(session, actor.id, status.id)
        if row is None:
            raise NotFound(N_("you have not boosted that post"))
        row.deleted_at = utcnow()
        queue_event(session, deleted(row))
        if not row.pending_approval:  # a pending boost was never counted
            await status_queries.increment(session, status.id, "reblogs_count", -1)
        await withdraw(session, actor.id, REBLOG, status.id)
        undo = to_activitypub.undo_announce(row, actor, status, author, services.config)
        inboxes = await _boost_inboxes(session, actor, author)
        await delivery.publish(session, actor.id, undo, inboxes)


async def announce_for_viewer(services: Services, username: str, status_id: int,
                              viewer_uri: str | None) -> dict[str, Any] | None:
    """The Announce a local boost was sent as, for a GET of its id (`<boost uri>/activity`),
    as Mastodon's StatusesController#activity serves a reblog's; None when `status_id` is no
    boost of `username`'s (the caller serves a post's Create there). Gone once the boost is
    undone; NotFound, as for a hidden post, when the booster or the boosted post's author
    blocks the signer or the boosted post is no longer one anyone may see."""
    found = await _visible_boost(services, username, status_id, viewer_uri)
    if found is None:
        return None
    boost, booster, target, author = found
    return to_activitypub.announce(boost, booster, target, author, services.config)


async def boosted_url(services: Services, username: str, status_id: int,
                      viewer_uri: str | None) -> str | None:
    """Where a boost's own URL leads: the boosted post's (Mastodon's redirect_to_original);
    None when `status_id` is no boost of `username`'s. Gone and NotFound as above."""
    found = await _visible_boost(services, username, status_id, viewer_uri)
    if found is None:
        return None
    target = found[2]
    return target.url or target.uri


async def _visible_boost(services: Services, username: str, status_id: int,
                         viewer_uri: str | None
                         ) -> tuple[Status, Account, Status, Account] | None:
    async with services.db.reader() as session:
        booster = await account_queries.local_account_by_username(session, username)
        boost = await status_queries.by_id(session, status_id)
        if booster is None or boost is None or boost.reblog_of_id is None \
                or boost.account_id != booster.id:
            return None
        if booster.deleted_at is not None or boost.deleted_at is not None:
            raise Gone(N_("this boost was undone"))
        target = await status_queries.by_id(session, boost.reblog_of_id)
        author = await account_queries.account_by_id(session, target.account_id) \
            if target is not None else None
        if booster.suspended_at is not None or target is None or author is None \
                or target.deleted_at is not None \
                or target.visibility not in ("public", "unlisted"):
            raise NotFound(N_("no such boost"))
        viewer = await account_queries.account_by_uri(session, viewer_uri) \
            if viewer_uri else None
        if viewer is not None and (await block_queries.blocks(session, booster.id, viewer.id)
                                   or not await can_see(session, target, viewer)):
            raise NotFound(N_("no such boost"))
    return boost, booster, target, author

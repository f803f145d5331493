"""Inbound `Accept` and `Reject` of our users' pending replies, boosts and likes (sent as
`ReplyRequest`, `AnnounceRequest`, `LikeRequest`: statuses/policy_requests.py). An Accept
carries the authorization (`result`; older GoToSocial: the Accept itself is the proof, its
id then goes in `approvedBy`): the interaction goes to its whole audience carrying it. A
Reject takes it back. Answers about anything else (follows) go on to follows.py."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import interaction_policy as wire
from activitypub.parse import ParsedActivity
from server.render import to_activitypub
from server.services.context import Services
from server.services.federation.inbound import follows
from server.services.federation.outbound import delivery
from server.services.statuses.posts import publish_approved_reply
from server.services.streaming.publish import queue_event, status_event
from storage import accounts as account_queries
from storage import favourites as favourite_queries
from storage import follows as follow_queries
from storage import statuses as status_queries
from storage.models import Account, Favourite, Status
from storage.types import utcnow


@dataclass
class _Pending:
    interaction: wire.Interaction
    target: Status  # the remote post interacted with
    row: Status | Favourite
    actor: Account  # ours


async def _pending(session: AsyncSession, uri: str | None) -> _Pending | None:
    """Our pending interaction with that id: a reply, a boost or a like."""
    if not uri:
        return None
    # A boost is named by its Announce's id, `<its uri>/activity`.
    row: Status | Favourite | None = await status_queries.by_uri(session, uri) \
        or await status_queries.by_uri(session, uri.removesuffix("/activity"))
    interaction = wire.REPLY
    if row is None:
        row = await favourite_queries.favourite_by_uri(session, uri)
        interaction = wire.LIKE
    if row is None or not row.pending_approval:
        return None
    target_id = row.status_id if isinstance(row, Favourite) else \
        (row.reblog_of_id or row.in_reply_to_id)
    if isinstance(row, Status) and row.reblog_of_id is not None:
        interaction = wire.ANNOUNCE
    target = await status_queries.by_id(session, target_id or 0)
    actor = await account_queries.account_by_id(session, row.account_id)
    if target is None or actor is None or not actor.is_local:
        return None
    return _Pending(interaction, target, row, actor)


async def _answered(session: AsyncSession, activity: ParsedActivity) -> _Pending | None:
    """The pending interaction this answer is about, if it comes from the author of the
    post interacted with (nobody else may approve or refuse it)."""
    answer = wire.parse_answer(activity.raw)
    pending = await _pending(session, answer.interacting)
    if pending is None:
        return None
    author = await account_queries.account_by_id(session, pending.target.account_id)
    return pending if author is not None and author.uri == activity.actor else None


async def on_accept(services: Services, activity: ParsedActivity) -> str:
    async with services.db.writer.begin() as session:
        pending = await _answered(session, activity)
        if pending is not None:
            result = wire.parse_answer(activity.raw).result
            pending.row.pending_approval = False
            pending.row.approved_by = result or activity.id
            await _publish(services, session, pending)
            return f"{pending.interaction.key} approved by its post's author"
    return await follows.on_accept(services, activity)


async def on_reject(services: Services, activity: ParsedActivity) -> str:
    async with services.db.writer.begin() as session:
        pending = await _answered(session, activity)
        if pending is not None:
            row = pending.row
            if isinstance(row, Favourite):
                await favourite_queries.delete_favourite(session, row.id)
            else:
                row.deleted_at = utcnow()
            return f"{pending.interaction.key} refused by its post's author"
    return await follows.on_reject(services, activity)


async def _publish(services: Services, session: AsyncSession, pending: _Pending) -> None:
    """The approved interaction, as it would have gone without a policy, now carrying its
    authorization."""
    row, target, actor = pending.row, pending.target, pending.actor
    author = await account_queries.account_by_id(session, target.account_id)
    assert author is not None
    if isinstance(row, Favourite):
        await status_queries.increment(session, target.id, "favourites_count")
        await delivery.publish(session, actor.id, to_activitypub.like(row, actor, target),
                               [delivery.personal_inbox(author)])
    elif row.reblog_of_id is not None:
        await status_queries.increment(session, target.id, "reblogs_count")
        queue_event(session, await status_event(session, "update", row))
        await delivery.publish(session, actor.id,
                               to_activitypub.announce(row, actor, target, author,
                                                       services.config),
                               await _boost_inboxes(session, actor, author))
    else:
        await publish_approved_reply(services, session, row)


async def _boost_inboxes(session: AsyncSession, actor: Account, author: Account) -> list[str]:
    """As statuses/boosts.py sends a boost: the booster's followers and the author's
    server, one POST per inbox."""
    followers = await follow_queries.follower_inboxes(session, actor.id)
    return list(dict.fromkeys([*followers, delivery.preferred_inbox(author)]))

"""A local account favourites a status (ours or a stored remote one), and takes it back.
On the wire a favourite is a `Like`."""

from __future__ import annotations

from activitypub.interaction_policy import LIKE
from server.i18n import N_
from server.render import to_activitypub
from server.services.context import Services
from server.services.errors import NotFound
from server.services.federation.outbound import delivery
from server.services.social.notifications import FAVOURITE, notify, withdraw
from server.services.statuses.policy_requests import needs_request, send_request
from server.services.statuses.targets import actor_and_target, author_inboxes
from storage import favourites as favourite_queries
from storage import statuses as status_queries
from storage.models import Favourite


async def favourite(services: Services, username: str, ref: str) -> None:
    async with services.db.writer.begin() as session:
        actor, status, author = await actor_and_target(session, username, ref,
                                                          favourite=True)
        if await favourite_queries.favourite_by(session, actor.id, status.id) is not None:
            return
        pending = await needs_request(session, actor, status, LIKE)
        row = Favourite(account_id=actor.id, status_id=status.id, pending_approval=pending)
        session.add(row)
        await session.flush()
        row.uri = f"{actor.uri}#likes/{row.id}"
        if pending:  # counted once its author approves
            await send_request(session, actor, author, status, LIKE, row.id,
                               to_activitypub.like(row, actor, status))
            return
        await status_queries.increment(session, status.id, "favourites_count")
        if author.is_local:
            await notify(session, author.id, actor.id, "favourite", status.id)
        await delivery.publish(session, actor.id,
                               to_activitypub.like(row, actor, status),
                               author_inboxes(author))


async def unfavourite(services: Services, username: str, ref: str) -> None:
    async with services.db.writer.begin() as session:
        actor, status, author = await actor_and_target(session, username, ref,
                                                          favourite=True)
        row = await favourite_queries.favourite_by(session, actor.id, status.id)
        if row is None:
            raise NotFound(N_("you have not liked that post"))
        await session.delete(row)
        if not row.pending_approval:  # a pending like was never counted
            await status_queries.increment(session, status.id, "favourites_count", -1)
        await withdraw(session, actor.id, FAVOURITE, status.id)
        await delivery.publish(session, actor.id,
                               to_activitypub.undo_like(row, actor, status),
                               author_inboxes(author))

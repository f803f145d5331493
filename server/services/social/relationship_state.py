"""A local account's relationship to other accounts, read for many at once: follows both
ways (a pending one is a request) with the viewer's follow options, blocks both ways, the
viewer's mute in force and its blocks of their servers. The client API's Relationship
(server.services.social.relationships) and the web profile's
(server.services.reading.profiles) both read it here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from server.render.to_mastodon.parts import RelationshipParts
from storage import account_domain_blocks as domain_block_queries
from storage import blocks as block_queries
from storage import follows as follow_queries
from storage import mutes as mute_queries
from storage.types import utcnow

ACCEPTED = "accepted"


async def load_relationships(session: AsyncSession, viewer_id: int,
                             ids: Sequence[int]) -> dict[int, RelationshipParts]:
    """The viewer's relationship to each of `ids` (existing or not: the caller picks which
    to show), in six queries whatever their number."""
    out = await follow_queries.follows_from(session, viewer_id, ids)
    back = await follow_queries.follows_to(session, viewer_id, ids)
    blocking = await block_queries.blocking_among(session, viewer_id, ids)
    blocked_by = await block_queries.blocked_by_among(session, viewer_id, ids)
    mutes = await mute_queries.mutes_among(session, viewer_id, ids, utcnow())
    domain_blocking = await domain_block_queries.domain_blocking_among(session, viewer_id, ids)
    made: dict[int, RelationshipParts] = {}
    for account_id in ids:
        mine, theirs, mute = out.get(account_id), back.get(account_id), mutes.get(account_id)
        made[account_id] = RelationshipParts(
            account_id=account_id,
            following=mine is not None and mine.state == ACCEPTED,
            requested=mine is not None and mine.state != ACCEPTED,
            # Mastodon answers the follow's options for a request too.
            showing_reblogs=mine is not None and mine.show_reblogs,
            notifying=mine is not None and mine.notify,
            followed_by=theirs is not None and theirs.state == ACCEPTED,
            requested_by=theirs is not None and theirs.state != ACCEPTED,
            blocking=account_id in blocking, blocked_by=account_id in blocked_by,
            muting=mute is not None,
            muting_notifications=mute is not None and mute.hide_notifications,
            domain_blocking=account_id in domain_blocking)
    return made

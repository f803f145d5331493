"""Inbound `Block` and `Undo` of a Block: a remote account blocks a local one. Reached
through inbox_apply's dispatch; a local account's own blocks are in
server.services.social.blocks."""

from __future__ import annotations

from activitypub.parse import ParsedActivity, object_id
from server.services.context import Services
from server.services.federation.inbound.common import actor_account, local_target
from storage import blocks as block_queries
from storage import follows as follow_queries
from storage.models import Block


async def on_block(services: Services, activity: ParsedActivity) -> str:
    """A remote actor blocks a local one: follows end both ways and the block is kept."""
    remote = await actor_account(services, activity.actor)
    async with services.db.writer.begin() as session:
        target = await local_target(session, activity.object_id)
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
    remote = await actor_account(services, activity.actor)
    async with services.db.writer.begin() as session:
        row = await block_queries.block_by_uri(session, activity.object_id or "")
        if row is None:
            inner = activity.object or {}
            target = await local_target(session, object_id(inner.get("object")))
            row = await block_queries.block_between(session, remote.id, target.id) \
                if target else None
        if row is None or row.account_id != remote.id:
            return "ignored: no such block"
        await block_queries.delete_block(session, row.id)
        return "unblocked"

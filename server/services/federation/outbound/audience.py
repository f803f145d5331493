"""Where a status's activities are delivered: its audience's inboxes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.render.to_activitypub import NoteParts
from server.services.federation.outbound import delivery
from storage import accounts as account_queries
from storage import follows as follow_queries
from storage import statuses as status_queries
from storage.models import Account, Status


async def parent_authors(session: AsyncSession, status: Status) -> list[Account]:
    """The authors of the post it replies to and of the post it remixes."""
    ids = [status.in_reply_to_account_id]
    if status.remix_of_id is not None:
        remixed = await status_queries.by_id(session, status.remix_of_id)
        ids.append(remixed.account_id if remixed is not None else None)
    found = [await account_queries.account_by_id(session, i) for i in ids if i is not None]
    return [account for account in found if account is not None]


async def audience_inboxes(session: AsyncSession, status: Status, parts: NoteParts,
                           extra: list[Account]) -> list[str]:
    """Where a post's activities go: followers' servers unless it is direct, every mentioned
    remote actor's, and the remote author's it replies to. Shared inboxes are preferred
    throughout and each inbox comes once, so a server hears of the post in one POST even
    when a follower there is also mentioned (Mastodon's StatusReachFinder#inboxes)."""
    inboxes: list[str] = []
    if status.visibility != "direct":
        inboxes += await follow_queries.follower_inboxes(session, parts.author.id)
    inboxes += [delivery.preferred_inbox(a) for a in [*parts.mentions, *extra]
                if not a.is_local and a.deleted_at is None]
    return list(dict.fromkeys(inboxes))

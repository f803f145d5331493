"""What a local account's favourite and boost start from: the acting account, the status it
names (ours or a stored remote one) and that status's author."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.services.errors import Conflict, NotFound
from server.services.federation.outbound import delivery
from server.services.moderation.moderation_checks import ensure_not_suspended
from server.services.statuses.visibility import can_see
from storage import accounts as account_queries
from storage import statuses as status_queries
from storage.models import Account, Status


async def actor_and_target(session: AsyncSession, username: str, ref: str, *,
                           favourite: bool = False) -> tuple[Account, Status, Account]:
    """The local account `username`, the status `ref` (an id or a uri) and its author.
    Followers-only and direct statuses may be favourited by whoever may see them (as
    Mastodon's StatusPolicy#favourite? allows), boosted by their author only."""
    actor = await account_queries.local_account_by_username(session, username)
    if actor is None or actor.actor_type == "Application" or actor.deleted_at:
        raise NotFound(N_("no local account named %(username)r"), username=username)
    await ensure_not_suspended(session, actor.id)
    status = await status_queries.by_id(session, int(ref)) if ref.isdigit() \
        else await status_queries.by_uri(session, ref)
    if status is None or status.deleted_at is not None or status.reblog_of_id is not None:
        raise NotFound(N_("no post %(ref)s"), ref=ref)
    author = await account_queries.account_by_id(session, status.account_id)
    if author is None:
        raise NotFound(N_("no post %(ref)s"), ref=ref)
    if status.visibility in ("private", "direct") and author.id != actor.id:
        if not favourite:
            raise Conflict(N_("followers-only and direct posts cannot be boosted"))
        if not await can_see(session, status, actor):
            raise NotFound(N_("no post %(ref)s"), ref=ref)
    return actor, status, author


def author_inboxes(author: Account) -> list[str]:
    """Where the author hears of it: its personal inbox when remote, nowhere when local."""
    return [] if author.is_local else [delivery.personal_inbox(author)]

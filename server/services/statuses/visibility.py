"""Who may see a status: served to a fetch or a page (status_for_viewer), to the client API
(visible_status), and whether an account's favourite, boost or reply counts (can_see,
audience_includes)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.services.context import Services
from server.services.errors import Gone, NotFound
from storage import accounts as account_queries
from storage import blocks as block_queries
from storage import follows as follow_queries
from storage import statuses as status_queries
from storage import timelines as timeline_queries
from storage.models import Account, Status


@dataclass(frozen=True)
class ServedStatus:
    status: Status
    author: Account
    gone: bool


async def status_for_viewer(services: Services, username: str, status_id: int,
                            viewer_uri: str | None) -> ServedStatus:
    """A local post as someone may see it. Followers-only posts need an accepted follower's
    signed fetch; direct posts a mentioned actor's; none is served to an account the author
    blocks. The instance actor grants nothing.
    Invisible and missing posts are both NotFound, so their existence does not leak."""
    async with services.db.reader() as session:
        author = await account_queries.local_account_by_username(session, username)
        status = await status_queries.by_id(session, status_id)
        if author is not None and author.deleted_at is not None:
            raise Gone(N_("this account was deleted"))  # its posts are purged, never reused
        if author is None or status is None or status.account_id != author.id \
                or status.reblog_of_id is not None or author.suspended_at is not None:
            raise NotFound(N_("no such post"))  # a suspended author's posts are not served
        if status.deleted_at is not None:
            return ServedStatus(status, author, gone=True)
        viewer = await account_queries.account_by_uri(session, viewer_uri) \
            if viewer_uri else None
        if viewer is None and status.visibility in ("public", "unlisted"):
            return ServedStatus(status, author, gone=False)
        if viewer is not None and await can_see(session, status, viewer):
            return ServedStatus(status, author, gone=False)
    raise NotFound(N_("no such post"))


async def visible_status(session: AsyncSession, status_id: int,
                         viewer_id: int | None) -> Status:
    """A status (local or remote, a boost included) the viewer may see, as the client API
    serves one: NotFound when it is missing, deleted or hidden from the viewer, so that its
    existence does not leak (Mastodon's 404). A boost needs its booster not hidden either
    and the boosted status visible."""
    status = await status_queries.by_id(session, status_id)
    if status is None:
        raise NotFound(N_("Record not found"))
    wanted = [status.id] if status.reblog_of_id is None else [status.reblog_of_id]
    if status.reblog_of_id is not None:
        if status.deleted_at is not None or (
                viewer_id is not None and viewer_id != status.account_id
                and await block_queries.blocked_either_way(session, viewer_id,
                                                           status.account_id)):
            raise NotFound(N_("Record not found"))
        booster = await account_queries.account_by_id(session, status.account_id)
        if booster is None or booster.suspended_at is not None:
            raise NotFound(N_("Record not found"))
    if not await timeline_queries.visible(session, wanted, viewer_id):
        raise NotFound(N_("Record not found"))
    return status


async def can_see(session: AsyncSession, status: Status, viewer: Account) -> bool:
    """Whether `viewer` may see `status`, as Mastodon's StatusPolicy#show?: never when the
    author blocks the viewer (the post does not exist for it); public and unlisted posts
    otherwise; followers-only ones by accepted followers; direct ones by those mentioned;
    the instance actor sees no more than anyone. A remote account's Like, boost or reply
    counts only on a post it can see, as a local one's."""
    if await block_queries.blocks(session, status.account_id, viewer.id):
        return False
    return await audience_includes(session, status, viewer)


async def audience_includes(session: AsyncSession, status: Status, viewer: Account) -> bool:
    """Whether `viewer` is in the audience `status` was written for, blocks aside: a reply
    from a blocked account is kept (shown to nobody while the block lasts, back after it),
    a reply to a direct post its author is not in is not."""
    if status.visibility in ("public", "unlisted"):
        return True
    return viewer.actor_type != "Application" and await _may_see(session, status, viewer)


async def _may_see(session: AsyncSession, status: Status, viewer: Account) -> bool:
    if viewer.id == status.account_id:
        return True
    if viewer.id in {a.id for a in await status_queries.mentioned_accounts(session, status.id)}:
        return True
    if status.visibility == "private":
        follow = await follow_queries.follow_between(session, viewer.id, status.account_id)
        return follow is not None and follow.state == "accepted"
    return False

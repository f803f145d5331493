"""An account's statuses as the client API lists them (GET /api/v1/accounts/:id/statuses),
with Mastodon's filters (app/models/account_statuses_filter.rb): only_media, exclude_replies
(replies to oneself stay), exclude_reblogs, tagged, pinned. Who may see what is the profile's
rule (storage.timelines.profile_query); the page is ordered by status id, pinned ones too (as
Mastodon: a pin gives no priority in this list)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MediaAttachment, RemoteMedia, Status, StatusPin, StatusTag
from storage.pagination import Page
from storage.timelines import page_ids, profile_query


@dataclass(frozen=True)
class StatusFilters:
    only_media: bool = False
    exclude_replies: bool = False
    exclude_reblogs: bool = False
    pinned: bool = False
    tag_id: int | None = None  # tagged: the tag's id (the caller answers [] for an unknown tag)


def account_statuses_query(account_id: int, viewer_id: int | None,
                           filters: StatusFilters) -> Select[int]:
    stmt = profile_query(account_id, viewer_id)
    if filters.only_media:
        # Boosts carry no media of their own: they drop out, as in Mastodon.
        stmt = stmt.where(or_(
            exists().where(MediaAttachment.status_id == Status.id),
            exists().where(RemoteMedia.status_id == Status.id)))
    if filters.exclude_replies:
        stmt = stmt.where(or_(Status.in_reply_to_id.is_(None),
                              Status.in_reply_to_account_id == Status.account_id))
    if filters.exclude_reblogs:
        stmt = stmt.where(Status.reblog_of_id.is_(None))
    if filters.pinned:
        stmt = stmt.where(Status.id.in_(select(StatusPin.status_id)
                                        .where(StatusPin.account_id == account_id)))
    if filters.tag_id is not None:
        stmt = stmt.where(exists().where(StatusTag.status_id == Status.id,
                                         StatusTag.tag_id == filters.tag_id))
    return stmt


async def account_status_ids(session: AsyncSession, account_id: int, viewer_id: int | None,
                             filters: StatusFilters, page: Page) -> list[int]:
    """A page of status ids (boosts are their own ids), newest first."""
    return await page_ids(session, account_statuses_query(account_id, viewer_id, filters),
                          page)

"""An account's statuses for the client API (GET /api/v1/accounts/:id/statuses), as the
profile page shows them to the same viewer (storage.timelines.profile_query: followers-only
posts to followers, direct ones to those mentioned, nothing across a block), with Mastodon's
filters (storage.account_statuses). A suspended or deleted account lists nothing."""

from __future__ import annotations

from server.render.to_mastodon.parts import StatusParts
from server.services.context import Services
from server.services.reading.api_accounts import find_account
from server.services.reading.entities import load_statuses
from storage import account_statuses as queries
from storage import tags as tag_queries
from storage.account_statuses import StatusFilters
from storage.pagination import Page


async def account_statuses(services: Services, account_id: int, viewer_id: int | None,
                           page: Page, *, only_media: bool = False,
                           exclude_replies: bool = False, exclude_reblogs: bool = False,
                           pinned: bool = False, tagged: str | None = None
                           ) -> tuple[list[StatusParts], list[int]]:
    """The page's statuses (a boost as the boost, the boosted status inside) and their ids,
    newest first (the Link header's cursors)."""
    async with services.db.reader() as session:
        account = await find_account(session, account_id)
        if account.suspended_at is not None or account.deleted_at is not None:
            return [], []
        tag_id = None
        if tagged:
            tag = await tag_queries.tag_by_name(session, tagged.lstrip("#"))
            if tag is None:
                return [], []
            tag_id = tag.id
        filters = StatusFilters(only_media=only_media, exclude_replies=exclude_replies,
                                exclude_reblogs=exclude_reblogs, pinned=pinned, tag_id=tag_id)
        ids = await queries.account_status_ids(session, account.id, viewer_id, filters, page)
        made = await load_statuses(services, session, ids, viewer_account_id=viewer_id)
    return [made[i] for i in ids if i in made], ids

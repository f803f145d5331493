"""Discarding a draft: a generated image of the user's that is in no post is deleted with
its files, the same deletion as the client API's DELETE /api/v1/media/:id
(server.services.statuses.uploads.delete_media), so the API then answers 404 for its id.
Listing drafts is server.services.reading.drafts."""

from __future__ import annotations

from server.i18n import N_
from server.services.context import Services
from server.services.errors import Conflict, InvalidInput, NotFound
from server.services.statuses import uploads
from storage import media as media_queries


async def discard_draft(services: Services, account_id: int, media_id: int) -> None:
    """NotFound unless it is a generated image of this account; Conflict once it is posted."""
    async with services.db.reader() as session:
        media = await media_queries.attachment_by_id(session, media_id)
    if media is None or media.account_id != account_id or media.generation_id is None:
        raise NotFound(N_("there is no such draft of yours"))
    if media.status_id is not None:
        raise Conflict(N_("that image is in a post now: delete the post to remove it"))
    try:
        await uploads.delete_media(services, media_id, account_id)
    except InvalidInput:  # posted meanwhile (delete_media checks again in its transaction)
        raise Conflict(N_("that image is in a post now: delete the post to remove it")) \
            from None
    except NotFound:  # discarded meanwhile, by another tab: what was asked is done
        return

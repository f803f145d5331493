"""A status as a Note: what it shows besides its row (images, tags, mentions, the remixed
post), loaded here and turned into JSON by server.render.to_activitypub; and the Note or
Create a fetch of one of ours is answered with."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.render.text import find_hashtags
from server.render.to_activitypub import AttachmentView, NoteParts, create_activity, note
from server.services.context import Services
from server.services.errors import NotFound
from server.services.federation.replies import self_replies
from server.services.statuses.content import AI_TAG
from server.services.statuses.interaction_policy import policy_of_local
from server.services.statuses.media import JPEG_FILE, media_url
from server.services.statuses.quotes import policy_document, quote_view
from storage import accounts as account_queries
from storage import statuses as status_queries
from storage.models import Account, Status


async def note_parts(services: Services, session: AsyncSession, status: Status,
                     author: Account) -> NoteParts:
    """Everything besides the row that its Note shows."""
    attachments = [AttachmentView(
        url=media_url(services.config, m, JPEG_FILE), media_type="image/jpeg",
        description=m.description, width=m.display_width, height=m.display_height,
        blurhash=m.blurhash) for m in await status_queries.attachments(session, status.id)]
    remix_url = None
    if status.remix_of_id is not None:
        parent = await status_queries.by_id(session, status.remix_of_id)
        remix_url = parent.url if parent else None
    policy = await policy_of_local(session, status, author,
                                   services.urls.followers(author.username)) \
        if status.local else None
    replies = await self_replies(session, status)
    quote = await quote_view(services, session, status)
    can_quote = await policy_document(services, session, status, author) \
        if status.local else None
    return NoteParts(author=author, attachments=attachments, interaction_policy=policy,
                     tags=_display_forms(status, await status_queries.tag_names(session,
                                                                                status.id)),
                     mentions=await status_queries.mentioned_accounts(session, status.id),
                     self_replies=replies.uris, self_replies_last_id=replies.last_id,
                     remix_of_url=remix_url,
                     quote_uri=quote.quoted_uri if quote else None,
                     quote_authorization=quote.authorization if quote else None,
                     can_quote=can_quote)


def _display_forms(status: Status, names: list[str]) -> list[str]:
    """Tags are stored lowercase; a Note names them as its author wrote them, as Mastodon's
    HashtagSerializer sends display_name (#AIGenerated, not #aigenerated)."""
    written = {tag.lower(): tag for tag in [AI_TAG, *find_hashtags(status.caption)]}
    return [written.get(name, name) for name in names]


async def _loaded_parts(services: Services, status: Status) -> NoteParts:
    async with services.db.reader() as session:
        author = await account_queries.account_by_id(session, status.account_id)
        if author is None:
            raise NotFound(N_("post without author"))
        return await note_parts(services, session, status, author)


async def render_note(services: Services, status: Status) -> dict[str, Any]:
    return note(status, await _loaded_parts(services, status), services.config)


async def render_create(services: Services, status: Status) -> dict[str, Any]:
    """The Create a status was published with (its `/activity` id answers this)."""
    return create_activity(status, await _loaded_parts(services, status), services.config)

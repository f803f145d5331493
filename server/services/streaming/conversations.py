"""The `conversation` event's payload (Mastodon's PushConversationWorker): the Conversation
entity as its owner sees it, for the owner's `direct` stream (streaming/index.js sends
`conversation` on that stream alone, channel timeline:direct:<account>)."""

from __future__ import annotations

import json

from server.render.to_mastodon.conversations import conversation
from server.services.context import Services
from server.services.errors import NotFound
from server.services.reading.api_conversations import conversation as conversation_parts


async def conversation_payload(services: Services, viewer_account_id: int,
                               conversation_id: int) -> str | None:
    """The JSON of conversation `conversation_id` for `viewer_account_id`; None when it is
    not the viewer's or no longer exists (removed, or emptied by a deletion)."""
    try:
        parts = await conversation_parts(services, viewer_account_id, conversation_id)
    except NotFound:
        return None
    return json.dumps(conversation(parts, services.config.base_url), ensure_ascii=False,
                      separators=(",", ":"))

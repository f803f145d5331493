"""Status (REST::StatusSerializer). A boost is a status of its own whose `reblog` is the
boosted one, with empty content, as Mastodon serializes it."""

from __future__ import annotations

from typing import Any

from server.render.to_mastodon.accounts import account, mention
from server.render.to_mastodon.common import id_or_none, iso, iso_or_none
from server.render.to_mastodon.filters import filter_v2
from server.render.to_mastodon.media import attachment
from server.render.to_mastodon.parts import FilterMatch, QuoteParts, StatusParts
from server.urls import Urls


def _tag(name: str, base_url: str) -> dict[str, Any]:
    return {"name": name, "url": Urls(base_url).tag(name)}


def filter_result(match: FilterMatch) -> dict[str, Any]:
    """FilterResult: which warn filter matched (ours hold one phrase: its keyword)."""
    return {"filter": filter_v2(match), "keyword_matches": [match.phrase],
            "status_matches": None}


def _viewer_fields(parts: StatusParts) -> dict[str, Any]:
    """Present only for a signed-in viewer, as Mastodon adds them with current_user."""
    if parts.favourited is None:
        return {}
    fields: dict[str, Any] = {"favourited": parts.favourited, "reblogged": parts.reblogged,
                              "muted": parts.muted, "bookmarked": parts.bookmarked}
    if parts.pinned is not None:
        fields["pinned"] = parts.pinned
    return fields


def _dreamfeed(parts: StatusParts) -> dict[str, Any]:
    row = parts.status
    generation = None
    if row.generator_name or row.prompt or row.model:
        generation = {"generator": row.generator_name, "prompt": row.prompt,
                      "model": row.model, "seed": row.seed}
    return {"generation": generation, "remix_of": id_or_none(row.remix_of_id),
            "remix_of_uri": row.remix_of_uri, "remix_count": row.remixes_count,
            "can_remix": row.can_remix and row.visibility in ("public", "unlisted"),
            "viewer_may_remix": parts.viewer_may_remix}


def status(parts: StatusParts, base_url: str) -> dict[str, Any]:
    row = parts.status
    entity: dict[str, Any] = {
        "id": str(row.id),
        "uri": row.uri,
        "url": None if parts.reblog is not None else parts.url,
        "created_at": iso(row.created_at),
        "edited_at": iso_or_none(row.edited_at),
        "account": account(parts.account),
        "content": parts.content_html,
        "visibility": row.visibility,
        "sensitive": row.sensitive,
        "spoiler_text": row.spoiler_text,
        "media_attachments": [attachment(m) for m in parts.media],
        "application": None,
        "mentions": [mention(m.account_id, m.username, m.acct, m.url) for m in parts.mentions],
        "tags": [_tag(name, base_url) for name in parts.tags],
        "emojis": [],
        "reblogs_count": row.reblogs_count,
        "favourites_count": row.favourites_count,
        "replies_count": row.replies_count,
        "quotes_count": 0,
        "in_reply_to_id": id_or_none(row.in_reply_to_id),
        "in_reply_to_account_id": id_or_none(row.in_reply_to_account_id),
        "reblog": status(parts.reblog, base_url) if parts.reblog is not None else None,
        "poll": None,
        "card": None,
        "language": row.language,
        "filtered": [filter_result(match) for match in parts.filtered],
        **_viewer_fields(parts),
    }
    entity["quote"] = _quote(parts.quote, base_url) if parts.quote else None
    if parts.quote_approval is not None:
        entity["quote_approval"] = {"automatic": list(parts.quote_approval.automatic),
                                    "manual": list(parts.quote_approval.manual),
                                    "current_user": parts.quote_approval.current_user}
    if parts.reblog is None:
        entity["dreamfeed"] = _dreamfeed(parts)
    return entity


def _quote(quote: QuoteParts, base_url: str) -> dict[str, Any]:
    """Quote (quoted_status: the Status, once accepted) or, inside a quoted status,
    ShallowQuote (quoted_status_id), as Mastodon 4.5 nests them."""
    if quote.shallow:
        return {"state": quote.state, "quoted_status_id": id_or_none(quote.quoted_status_id)}
    return {"state": quote.state,
            "quoted_status": status(quote.quoted, base_url) if quote.quoted else None}


def status_source(row_id: int, text: str, spoiler_text: str) -> dict[str, Any]:
    """StatusSource: what the author typed, for editing."""
    return {"id": str(row_id), "text": text, "spoiler_text": spoiler_text}

"""The compose page's tray of drafts, and the Drafts page: a user's generated images that
are in no post yet, newest first.

A generated image is a media attachment from the moment its generation finishes
(server.services.generation.generate); posting attaches it to a status, discarding deletes it
(server.services.generation.drafts). Nothing removes drafts on a timer: they stay until their
author posts or discards them, or the account is deleted. Only the owner's drafts are read
here, and their thumbnails' URLs carry each attachment's secret, so they stay private.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.services.context import Services
from server.services.statuses.media import THUMB_FILE, media_url
from storage import media as media_queries

# How many the compose page's tray shows; more lead to the Drafts page.
TRAY_SIZE = 6
PAGE_SIZE = 36


@dataclass(frozen=True)
class Draft:
    media_id: int
    generation_id: int
    prompt: str  # private: shown to its author only
    preview_url: str
    width: int  # the thumbnail's
    height: int
    created_at: datetime


@dataclass(frozen=True)
class Drafts:
    items: tuple[Draft, ...]
    more: bool  # older drafts than these exist (the next page: before the last's id)


async def drafts(services: Services, account_id: int, *, limit: int = TRAY_SIZE,
                 before: int | None = None, other_than_generation: int | None = None) -> Drafts:
    """`limit` newest drafts of this account (older than `before`), and whether more exist;
    `other_than_generation`: the one whose results the page shows already."""
    async with services.db.reader() as session:
        rows = await media_queries.unposted_generated(
            session, account_id, limit=limit + 1, before=before,
            other_than_generation=other_than_generation)
    items = tuple(
        Draft(media_id=media.id, generation_id=media.generation_id or 0, prompt=prompt,
              preview_url=media_url(services.config, media, THUMB_FILE),
              width=media.thumb_width, height=media.thumb_height, created_at=media.created_at)
        for media, prompt in rows[:limit])
    return Drafts(items=items, more=len(rows) > limit)

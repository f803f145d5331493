"""The status a new one replies to or remixes, named by its id or URI, and what a remix may
start from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.services.context import Services
from server.services.errors import Conflict, NotFound
from storage import accounts as account_queries
from storage import statuses as status_queries
from storage.models import Account, Status


@dataclass(frozen=True)
class Parent:
    status: Status | None
    uri: str
    url: str
    author: Account | None


# The refusal when the post is missing, by what was to be done with it (whole sentences, so
# that a page translates them).
_MISSING = {"reply": N_("no post %(ref)s to reply"), "remix": N_("no post %(ref)s to remix")}


async def find_parent(session: AsyncSession, ref: str, what: Literal["reply", "remix"]
                      ) -> Parent:
    """A post named by its id (ours) or its URI (ours or a stored remote one)."""
    status = await status_queries.by_id(session, int(ref)) if ref.isdigit() \
        else await status_queries.by_uri(session, ref)
    if status is None or status.deleted_at is not None:
        if ref.startswith(("http://", "https://")) and what == "reply":
            return Parent(None, ref, ref, None)  # reply to a post we don't store
        missing = _MISSING[what]
        raise NotFound(missing, ref=ref)
    author = await account_queries.account_by_id(session, status.account_id)
    return Parent(status, status.uri, status.url or status.uri, author)


@dataclass(frozen=True)
class RemixSource:
    uri: str
    prompt: str | None  # only when its author published it
    media_id: int | None  # its first image, when it is one of ours (for the edits API)


async def remix_source(services: Services, ref: str) -> RemixSource:
    """What a remix may start from: a post whose author allows remixes (remote posts only
    when they said canRemix), its published prompt, and its first image if we hold it."""
    async with services.db.reader() as session:
        parent = await find_parent(session, ref, "remix")
        status = parent.status
        if status is None or not status.can_remix or status.visibility not in ("public",
                                                                               "unlisted"):
            raise Conflict(N_("the author of that post does not allow remixes"))
        media = await status_queries.attachments(session, status.id) if status.local else []
    return RemixSource(status.uri, status.prompt, media[0].id if media else None)

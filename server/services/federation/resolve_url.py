"""A URL someone pasted into search -> the account or status it names (Mastodon's
ResolveURLService): ours and what we hold are found here; with `resolve`, another server's
is fetched once and stored as what its document says it is (an actor, or a post that
fetch_posts' origin rules accept, stored through inbound.notes as a fetched post is).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from activitypub.parse import ParseError, first_type, parse_actor, same_origin
from activitypub.parse_note import NOTE_TYPES
from activitypub.vocab import ACTOR_TYPES
from server.services.context import Services
from server.services.errors import Dropped
from server.services.federation import fetch_posts
from server.services.federation.inbound import notes
from server.services.federation.remote import (
    RemoteError,
    account_for_uri,
    fetch_document,
    store_actor,
)
from storage import accounts as account_queries
from storage import profiles as profile_queries
from storage import statuses as status_queries
from storage.models import Account, Status

log = logging.getLogger(__name__)

# Our pages and ids: /@alice (profile), /users/alice (actor), /@alice/ID (a status's page;
# its id, /users/alice/statuses/ID, is stored as the status's uri).
_PROFILE_RE = re.compile(r"/(?:@|users/)([A-Za-z0-9_]+)/?")
_STATUS_PAGE_RE = re.compile(r"/@([A-Za-z0-9_]+)/(\d{1,19})/?")


async def find_url(services: Services, url: str) -> Account | Status | None:
    """What we hold under this URL: our own account or status, or a remote one stored
    under it (by its id, or a profile by its page)."""
    url = url.strip()
    ours = urlsplit(services.config.base_url)
    parts = urlsplit(url)
    async with services.db.reader() as session:
        if (parts.scheme, parts.netloc.lower()) == (ours.scheme, ours.netloc.lower()):
            page = _STATUS_PAGE_RE.fullmatch(parts.path)
            if page is not None:
                status = await status_queries.by_id(session, int(page.group(2)))
                author = await account_queries.account_by_id(session, status.account_id) \
                    if status is not None else None
                return status if author is not None and author.is_local \
                    and author.username.lower() == page.group(1).lower() else None
            profile = _PROFILE_RE.fullmatch(parts.path)
            if profile is not None:
                return await account_queries.local_account_by_username(session,
                                                                       profile.group(1))
        status = await status_queries.by_uri(session, url)
        if status is not None:
            return status
        account = await account_queries.account_by_uri(session, url)
        return account or await profile_queries.account_by_url(session, url)


async def resolve_url(services: Services, url: str) -> Account | Status | None:
    """Found here, or fetched from its server and stored. None when it is nothing we can
    use (unreachable, gone, neither an actor nor a post we accept)."""
    found = await find_url(services, url)
    if found is not None or same_origin(url, services.config.base_url):
        return found
    try:
        doc, final_url = await fetch_document(services, url)
        kind = first_type(doc)
        if kind in ACTOR_TYPES:
            actor = parse_actor(doc, fetched_from=final_url)
            if not same_origin(actor.id, url):
                return None
            return await store_actor(services, actor)
        if kind in NOTE_TYPES:
            return await _store_post(services, doc, final_url, url)
    except (RemoteError, Dropped, ParseError) as exc:
        log.info("search could not resolve %s: %s", url, exc)
    return None


async def _store_post(services: Services, doc: dict[str, object], final_url: str,
                      url: str) -> Status | None:
    """A post served under `url`: trusted as it came when `url` is its id on the origin
    that served it, fetched again from its id when `url` was its page (fetch_posts' rules)."""
    note_id = doc.get("id")
    if not isinstance(note_id, str) or not same_origin(note_id, url):
        return None
    async with services.db.reader() as session:
        held = await status_queries.by_uri(session, note_id)
    if held is not None:
        return held
    if note_id == url and same_origin(final_url, url):
        note = fetch_posts.checked_note(dict(doc))
    else:
        note = await fetch_posts.fetch_note(services, note_id)
    author = await account_for_uri(services, note.attributed_to)
    await notes.store_remote_note(services, note, author, fetched=True)
    async with services.db.reader() as session:
        return await status_queries.by_uri(session, note.id)

"""Fetching a remote post by its id from its origin (a boosted post we do not have, the
parent of a reply), with the same origin checks as any object we did not receive from its
author: the id must be http(s) and not ours, the origin must serve the document under that
very id (after redirects, still on that origin), and the post's id must be on the same origin
as its author. Storing it is inbound.notes.store_remote_note's job, the path Create takes.
"""

from __future__ import annotations

import hashlib
from typing import Any

from activitypub.parse import ParseError, first_type, host_of, same_origin
from activitypub.parse_note import NOTE_TYPES, ParsedNote, parse_note
from server.services.context import Services
from server.services.errors import Dropped
from server.services.federation.remote import fetch_document
from server.services.statuses import note_content

# The job that fetches the parent of a stored reply, and how far up a thread it may climb.
FETCH_PARENT = "posts.fetch_parent"
MAX_DEPTH = 20


async def fetch_note(services: Services, uri: str) -> ParsedNote:
    """The post with this id as its origin serves it. Raises Dropped when the origin's answer
    cannot be trusted or is no post; RemoteError (RemoteGone for 410) when it cannot be had."""
    return checked_note(await fetch_note_document(services, uri))


async def fetch_note_document(services: Services, uri: str) -> dict[str, Any]:
    """The document its origin serves under this id (what fetch_note parses; its other
    properties, such as `replies`, read by the caller). Raises as fetch_note."""
    if not host_of(uri):
        raise Dropped(f"not a post id: {uri[:80]!r}")
    if same_origin(uri, services.config.base_url):
        raise Dropped("a post of ours that we do not have")
    doc, final_url = await fetch_document(services, uri)
    if doc.get("id") != uri or not same_origin(final_url, uri):
        raise Dropped("the object's origin serves something else under its id")
    return doc


def checked_note(doc: dict[str, Any]) -> ParsedNote:
    """A fetched document as a post whose id is on its author's origin (readable text for
    Question, Article and Page)."""
    if first_type(doc) not in NOTE_TYPES:
        raise Dropped(f"not a post: {str(doc.get('type'))[:40]}")
    try:
        note = parse_note(doc)
    except ParseError as exc:
        raise Dropped(f"bad note: {exc}") from None
    if not same_origin(note.id, note.attributed_to):
        raise Dropped("the note's id is on another origin than its author")
    return note_content.readable(note, doc)


def parent_job(uri: str, depth: int) -> tuple[dict[str, Any], str]:
    """(payload, dedupe key) of a FETCH_PARENT job: fetch `uri`, then up to `depth - 1` more
    ancestors. The key is a hash, as ids may be longer than the key column."""
    digest = hashlib.sha256(uri.encode()).hexdigest()
    return {"uri": uri, "depth": depth}, f"{FETCH_PARENT}:{digest}"


"""The job that fetches the unknown parent of a stored reply, one ancestor per job, `depth`
at most (so a long chain or a cycle of remote posts ends: a post already stored is never
fetched again). Showing a thread is server.services.reading.timelines.thread; the rest of a
thread, fetched when someone opens one of its posts, is thread_context's."""

from __future__ import annotations

import logging
from typing import Any

from server.services.context import Services
from server.services.errors import Dropped
from server.services.federation import fetch_posts
from server.services.federation.inbound import notes
from server.services.federation.remote import RemoteGone, account_for_uri
from storage import statuses as status_queries

log = logging.getLogger(__name__)

async def fetch_parent(services: Services, payload: dict[str, Any]) -> str:
    """The `posts.fetch_parent` job: fetch the post `uri` from its origin and store it (which
    links the replies waiting for it, and queues its own parent with depth - 1). A 410 or an
    untrustworthy answer ends the climb; other fetch errors raise, so the job is retried."""
    uri, depth = str(payload["uri"]), int(payload["depth"])
    if depth <= 0:
        return "ignored: depth limit reached"
    async with services.db.reader() as session:
        if await status_queries.by_uri(session, uri) is not None:
            return "ignored: already stored"
    try:
        note = await fetch_posts.fetch_note(services, uri)
    except (Dropped, RemoteGone) as exc:
        log.info("parent %s not fetched: %s", uri, exc)
        return f"ignored: {exc}"
    author = await account_for_uri(services, note.attributed_to)
    outcome, _ = await notes.store_remote_note(services, note, author, fetched=True,
                                               depth=depth - 1)
    log.info("parent %s: %s", uri, outcome)
    return outcome

"""Mentions in a caption, found without leaving the request: accounts stored here (ours, and
remote ones we already know) are linked at once; a remote handle we have never seen needs a
WebFinger lookup and an actor fetch, which are a job's work (RESOLVE_MENTIONS), never the
POST's. Mastodon's ProcessMentionsService does the same lookups inline under a deadline; a
job keeps the request fast and loses nothing: the post's activity waits for the job (see
server.services.statuses.posts.resolve_mentions_job), so every mentioned server gets it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from server.render.text import MentionTarget, find_mentions
from server.services.context import Services
from server.services.federation.remote import resolve_account
from storage import accounts as account_queries
from storage.models import Account

log = logging.getLogger(__name__)

RESOLVE_MENTIONS = "statuses.resolve_mentions"
MAX_MENTIONS = 20  # more is spam, and each unknown one costs remote requests


@dataclass(frozen=True)
class Mentions:
    # user@host (lowercase) -> the account to link, for the ones stored here.
    targets: dict[str, MentionTarget] = field(default_factory=dict)
    # Remote handles not stored here yet: for the job to resolve.
    unknown: list[str] = field(default_factory=list)


async def stored_mentions(session: AsyncSession, own_domain: str, caption: str) -> Mentions:
    """The caption's mentions that database lookups alone resolve, and the remote rest.
    A local name that is no account stays text, as does anything past MAX_MENTIONS."""
    found = Mentions()
    for handle in find_mentions(caption, own_domain)[:MAX_MENTIONS]:
        username, _, domain = handle.partition("@")
        account = await _stored_account(session, username, domain, own_domain)
        if account is not None:
            found.targets[handle] = MentionTarget(account.uri, account.url or account.uri,
                                                  handle)
        elif domain != own_domain.lower():
            found.unknown.append(handle)
    return found


async def _stored_account(session: AsyncSession, username: str, domain: str,
                          own_domain: str) -> Account | None:
    if domain == own_domain.lower():
        account = await account_queries.local_account_by_username(session, username)
        return None if account is None or account.actor_type == "Application" else account
    # A stored copy is good enough to link to, stale or not (refreshed elsewhere).
    return await account_queries.remote_account_by_handle(session, username, domain)


async def fetch_unknown(services: Services, handles: list[str]) -> None:
    """Look each handle up on its server and store the account; one that fails stays text
    (a mention must never sink the post)."""
    for handle in handles[:MAX_MENTIONS]:
        try:
            await resolve_account(services, handle)
        except Exception as exc:
            log.info("mention %s not resolved: %s", handle, exc)

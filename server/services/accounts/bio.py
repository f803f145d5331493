"""A local account's bio as HTML, as Mastodon renders it (FormattingHelper
#account_bio_format, TextFormatter): links, #hashtags, and @mentions of accounts known here
as h-card links; a mention of an account we do not know stays text, as Mastodon's
entity_cache finds nothing for it. The same HTML goes on the wire (the actor's `summary`),
in the client API (`note`) and on the web profile."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Config
from server.render.text import MentionTarget, bio_html, find_mentions
from server.urls import Urls
from storage import accounts as account_queries
from storage.models import Account

# A bio is at most 500 characters; this bounds the lookups of a hostile one all the same.
MAX_BIO_MENTIONS = 20


async def bio_mentions(session: AsyncSession, note: str,
                       config: Config) -> dict[str, MentionTarget]:
    """user@host (lowercase) -> the account it names, for the mentions in `note` of
    accounts stored here (none looked up remotely: that is a job's work, never a page's)."""
    domain = config.instance.domain.lower()
    urls = Urls(config.base_url)
    found: dict[str, MentionTarget] = {}
    for handle in find_mentions(note, domain)[:MAX_BIO_MENTIONS]:
        user, _, host = handle.partition("@")
        account = await account_queries.local_account_by_username(session, user) \
            if host == domain else await account_queries.remote_account_by_handle(
                session, user, host)
        if account is None or account.deleted_at is not None \
                or account.suspended_at is not None:
            continue
        found[handle] = MentionTarget(
            actor_uri=account.uri, profile_url=_profile_url(account, urls),
            handle=f"{account.username}@{account.domain or domain}")
    return found


def _profile_url(account: Account, urls: Urls) -> str:
    return urls.profile(account.username) if account.is_local else account.url or account.uri


async def local_bio_html(session: AsyncSession, account: Account, config: Config) -> str:
    """A local account's bio, its mentions looked up in `session`."""
    if not account.note.strip():
        return ""
    return bio_html(account.note, tag_url=Urls(config.base_url).tag,
                    local_domain=config.instance.domain,
                    mentions=await bio_mentions(session, account.note, config))

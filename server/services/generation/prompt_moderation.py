"""Prompt safety before a generation is queued, and the admin switches around it.

`screen_prompt` (called by server.services.generation.generate.request_generation) refuses,
in order:
1. users whose generation an admin disabled (GenerationDisabled);
2. prompts containing a blocked term (server.services.generation.blocklist), always checked;
3. prompts OpenAI's moderation endpoint flags, when `[moderation] openai` is on and an API
   key is known (`openai_api_key`, else `[generator] api_key`, which load_config fills from
   $OPENAI_API_KEY, when the generator itself is OpenAI).
A refusal is recorded (prompt_refusals: source blocklist|openai, the reason) and costs the
request's images from the daily quota, like a refusal by the image model's own moderation
(see server.services.generation.generate): probing the filters is not free.

When the moderation service cannot answer (network, timeout, 5xx, a refused key) the request
FAILS CLOSED with ModerationUnavailable: the operator turned the check on, so generating
unchecked would silently drop a safeguard they rely on, and a user who may be refused could
just retry until an outage lets the prompt through. Nothing is recorded or counted then:
the user did nothing wrong.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from server.config import Config
from server.i18n import N_
from server.images.moderation import ModerationClient
from server.images.moderation import ModerationUnavailable as ClientUnavailable
from server.images.openai_api import OPENAI_BASE_URL
from server.services.accounts import users as account_service
from server.services.errors import (
    GenerationDisabled,
    PromptRefused,
    ServiceError,
)
from server.services.generation.blocklist import BlocklistCache, BlocklistUnavailable
from storage import audit
from storage import generations as gen_queries
from storage import prompt_refusals as refusal_queries
from storage.database import Database
from storage.types import utcnow

log = logging.getLogger(__name__)

BLOCKLIST, OPENAI = "blocklist", "openai"
_blocklists = BlocklistCache()


class ModerationUnavailable(ServiceError):
    """The prompt could not be checked; nothing was generated or counted."""


@dataclass(frozen=True)
class Refusal:
    source: str
    reason: str

    @property
    def template(self) -> str:
        """What the user is told, a template filled in with the reason."""
        if self.source == BLOCKLIST:
            return N_("your prompt was refused: it contains a blocked term: %(reason)s")
        return N_("your prompt was refused: it was flagged by the moderation service for: "
                  "%(reason)s")


def moderation_client(config: Config) -> ModerationClient | None:
    """The OpenAI moderation client, or None when the check is off or no key is known."""
    moderation = config.moderation
    key = moderation.openai_api_key or generator_openai_key(config)
    if not moderation.openai or not key:
        return None
    return ModerationClient(base_url=moderation.openai_base_url, api_key=key,
                            model=moderation.openai_model)


def generator_openai_key(config: Config) -> str:
    """[generator] api_key (filled from $OPENAI_API_KEY by load_config), but only when the
    generator itself is OpenAI: the key of another OpenAI-compatible service (LocalAI, a
    remote Dreamfeed generator) must not be sent to OpenAI."""
    gen = config.generator
    if gen.base_url and urlsplit(gen.base_url).hostname != urlsplit(OPENAI_BASE_URL).hostname:
        return ""
    return gen.api_key


async def check_prompt(config: Config, prompt: str) -> Refusal | None:
    """Why the prompt is refused, or None. Raises ModerationUnavailable (fail closed)."""
    try:
        blocklist = _blocklists.get(config.moderation.blocked_terms,
                                    config.moderation.blocked_terms_file)
    except BlocklistUnavailable as exc:
        log.error("prompt blocklist unavailable: %s", exc)
        raise ModerationUnavailable(N_("prompts cannot be checked right now (the blocklist is "
                                       "unreadable); nothing was generated, tell the "
                                       "administrator")) from None
    term = blocklist.match(prompt)
    if term is not None:
        return Refusal(BLOCKLIST, term)
    client = moderation_client(config)
    if client is None:
        return None
    try:
        verdict = await client.check(prompt)
    except ClientUnavailable as exc:
        log.warning("prompt moderation unavailable: %s", exc.message)
        raise ModerationUnavailable(
            N_("moderation unavailable: your prompt could not be checked (%(detail)s); nothing "
               "was generated, try again in a moment"), detail=exc.message) from None
    if not verdict.flagged:
        return None
    return Refusal(OPENAI, ", ".join(verdict.categories) or "unspecified content")


async def screen_prompt(config: Config, db: Database, account_id: int, prompt: str,
                        images: int) -> None:
    """Raise GenerationDisabled, PromptRefused (recorded and counted) or
    ModerationUnavailable; return when the prompt may be generated."""
    async with db.reader() as session:
        if await refusal_queries.generation_disabled(session, account_id):
            raise GenerationDisabled(N_("image generation is disabled for your account by an "
                                        "administrator"))
    refusal = await check_prompt(config, prompt)
    if refusal is None:
        return
    now = utcnow()
    async with db.writer.begin() as session:
        await refusal_queries.add(session, account_id=account_id, prompt=prompt,
                                  source=refusal.source, reason=refusal.reason)
        # Counted up to the limit (not past it), so the quota shown stays meaningful.
        await gen_queries.reserve_quota(session, account_id, now.date(), images,
                                        config.generator.daily_limit)
    raise PromptRefused(refusal.template, reason=refusal.reason)


# --- admins ------------------------------------------------------------------------------


async def set_generation(db: Database, username: str, *, enabled: bool, reason: str = "",
                         actor_account_id: int | None = None) -> bool:
    """Switch a user's generation on or off (audited). Returns whether it changed."""
    account = await account_service.local_user_account(db, username)
    async with db.writer.begin() as session:
        changed = await refusal_queries.set_generation_disabled(session, account.id,
                                                                not enabled)
        if changed:
            await audit.record(
                session, actor_account_id=actor_account_id,
                action="generation.enable" if enabled else "generation.disable",
                target_type="account", target=account.username,
                detail={"reason": reason.strip()} if reason.strip() else None)
    return changed


@dataclass(frozen=True)
class RefusalView:
    id: int
    username: str
    source: str
    reason: str
    prompt: str
    created_at: datetime


@dataclass(frozen=True)
class RefusalReport:
    counts: list[tuple[str, int]]  # (username, refusals), most first
    recent: list[RefusalView]      # newest first


async def refusals(db: Database, *, username: str | None, limit: int) -> RefusalReport:
    account_id = None if username is None \
        else (await account_service.local_user_account(db, username)).id
    async with db.reader() as session:
        counts = await refusal_queries.counts(session, account_id=account_id)
        rows = await refusal_queries.recent(session, account_id=account_id, limit=limit)
    return RefusalReport(counts=counts, recent=[RefusalView(
        id=r.refusal.id, username=r.username, source=r.refusal.source,
        reason=r.refusal.reason, prompt=r.refusal.prompt, created_at=r.refusal.created_at)
        for r in rows])

"""Instance moderation of remote servers: domain blocks (silence, suspend, noop, with or
without media) and the allow-list. Each change is written with its audit entry in one
transaction; large clean-ups (a suspended server's posts, follows, media files) run as a job.

As in Mastodon (BlockDomainService / UnblockDomainService): silencing or suspending stamps
the domain's accounts with the block's creation time, so lifting the block restores only
those, never accounts restricted one by one; a suspension removes the data, and lifting it
does not bring the data back. Account-level actions live in
server.services.moderation.account_moderation.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.jobs.queue import enqueue
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound
from server.services.moderation.domain_policy import (
    SEVERITIES,
    SILENCE,
    SUSPEND,
    Rule,
    normalize_domain,
)
from server.services.streaming.publish import queue_domains_changed, queue_keys_changed
from storage import account_data, audit
from storage import domain_blocks as queries
from storage.media_files import MediaStore
from storage.models import Account, DomainAllow, DomainBlock
from storage.types import utcnow

log = logging.getLogger(__name__)

PURGE_DOMAIN = "moderation.purge_domain"
BATCH = 200
ALL_LIVE = datetime.max.replace(tzinfo=UTC)
DOMAIN = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*(:[0-9]{1,5})?")


@dataclass(frozen=True)
class BlockView:
    domain: str
    severity: str
    reject_media: bool
    public_comment: str
    private_comment: str
    created_at: datetime


@dataclass(frozen=True)
class BlockResult:
    block: BlockView
    created: bool
    changed: bool  # False when the same block was asked for again


def _view(row: DomainBlock) -> BlockView:
    return BlockView(row.domain, row.severity, row.reject_media, row.public_comment,
                     row.private_comment, row.created_at)


def _domain(services: Services, text: str) -> str:
    """A domain as the operator typed it -> its stored form: lowercase, IDNA (punycode) for
    non-ASCII names, as Mastodon stores them; an optional :port is kept."""
    domain = normalize_domain(text)
    try:
        domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        raise InvalidInput(N_("%(text)r is not a domain name"), text=text) from None
    if not DOMAIN.fullmatch(domain):
        raise InvalidInput(N_("%(text)r is not a domain name"), text=text)
    if domain == services.config.instance.domain.lower():
        raise InvalidInput(N_("this instance's own domain cannot be blocked or allowed"))
    return domain


# --- blocks ------------------------------------------------------------------------------------


async def block_domain(services: Services, text: str, *, severity: str = SILENCE,
                       reject_media: bool = False, public_comment: str | None = None,
                       private_comment: str | None = None,
                       actor_account_id: int | None = None) -> BlockResult:
    """Block a domain (and its subdomains), or change an existing block."""
    domain = _domain(services, text)
    if severity not in SEVERITIES:
        raise InvalidInput(N_("severity must be one of %(severities)s"),
                           severities=", ".join(SEVERITIES))
    async with services.db.writer.begin() as session:
        row = await queries.block_by_domain(session, domain)
        created = row is None
        if row is None:
            row = DomainBlock(domain=domain, created_at=utcnow(), public_comment="",
                              private_comment="")
            session.add(row)
        before = _settings(row)
        previous = None if created else row.severity
        row.severity, row.reject_media = severity, reject_media
        if public_comment is not None:
            row.public_comment = public_comment
        if private_comment is not None:
            row.private_comment = private_comment
        after = _settings(row)
        # `changed`: severity or media (its effects); comments alone are logged too.
        changed = created or (before["severity"], before["reject_media"]) != (
            severity, reject_media)
        await session.flush()
        await _apply_severity(session, row, previous)
        # Every process (and worker) follows the new rule at the commit, not at its reload.
        queue_domains_changed(session)
        if changed and (severity == SUSPEND or reject_media):
            await enqueue(session, PURGE_DOMAIN, {"domain": domain})
        if created or before != after:  # asking again for the same block logs nothing
            detail: dict[str, Any] = {"severity": severity, "reject_media": reject_media}
            if not created:
                detail["previous"] = {k: v for k, v in before.items()
                                      if k in ("severity", "reject_media")}
            await audit.record(session, actor_account_id=actor_account_id,
                               action="domain.block", target_type="domain", target=domain,
                               detail=detail)
        view = _view(row)
    services.domains.invalidate()
    return BlockResult(view, created, changed)


def _settings(row: DomainBlock) -> dict[str, Any]:
    return {"severity": row.severity, "reject_media": row.reject_media,
            "public_comment": row.public_comment, "private_comment": row.private_comment}


async def _apply_severity(session: AsyncSession, row: DomainBlock, previous: str | None) -> None:
    """Stamp or unstamp the domain's accounts when the severity changes."""
    if previous == row.severity:
        return
    if previous == SILENCE:
        await queries.clear_domain_silenced(session, row.domain, row.created_at)
    if previous == SUSPEND:
        await queries.clear_domain_suspended(session, row.domain, row.created_at)
    if row.severity == SILENCE:
        await queries.set_domain_silenced(session, row.domain, row.created_at)
    if row.severity == SUSPEND:
        await queries.set_domain_suspended(session, row.domain, row.created_at)


async def unblock_domain(services: Services, text: str, *,
                         actor_account_id: int | None = None) -> BlockView:
    domain = _domain(services, text)
    async with services.db.writer.begin() as session:
        row = await queries.block_by_domain(session, domain)
        if row is None:
            raise NotFound(N_("%(domain)s is not blocked"), domain=domain)
        view = _view(row)
        await queries.clear_domain_silenced(session, domain, row.created_at)
        await queries.clear_domain_suspended(session, domain, row.created_at)
        await queries.delete_block(session, row.id)
        queue_domains_changed(session)
        await audit.record(session, actor_account_id=actor_account_id,
                           action="domain.unblock", target_type="domain", target=domain,
                           detail={"severity": view.severity,
                                   "reject_media": view.reject_media})
    services.domains.invalidate()
    return view


async def list_blocks(services: Services) -> list[BlockView]:
    async with services.db.reader() as session:
        return [_view(row) for row in await queries.all_blocks(session)]


# --- the allow-list ----------------------------------------------------------------------------


async def allow_domain(services: Services, text: str, *,
                       actor_account_id: int | None = None) -> bool:
    """Add a domain to the allow-list; False when it was already there."""
    domain = _domain(services, text)
    async with services.db.writer.begin() as session:
        if await queries.allow_by_domain(session, domain) is not None:
            return False
        session.add(DomainAllow(domain=domain))
        await session.flush()
        queue_domains_changed(session)
        await audit.record(session, actor_account_id=actor_account_id, action="domain.allow",
                           target_type="domain", target=domain)
    services.domains.invalidate()
    return True


async def disallow_domain(services: Services, text: str, *,
                          actor_account_id: int | None = None) -> None:
    """Remove a domain from the allow-list. In allow-list mode its data goes, as Mastodon's
    UnallowDomainService removes the accounts of a domain no longer allowed."""
    domain = _domain(services, text)
    async with services.db.writer.begin() as session:
        row = await queries.allow_by_domain(session, domain)
        if row is None:
            raise NotFound(N_("%(domain)s is not on the allow-list"), domain=domain)
        await queries.delete_allow(session, row.id)
        queue_domains_changed(session)
        if services.config.federation.allowlist_mode:
            await enqueue(session, PURGE_DOMAIN, {"domain": domain})
        await audit.record(session, actor_account_id=actor_account_id,
                           action="domain.disallow", target_type="domain", target=domain)
    services.domains.invalidate()


async def list_allows(services: Services) -> list[str]:
    async with services.db.reader() as session:
        return [row.domain for row in await queries.all_allows(session)]


# --- the clean-up job --------------------------------------------------------------------------


async def purge_domain_data(services: Services, store: MediaStore, domain: str) -> str:
    """The `moderation.purge_domain` job: by the rules in force when it runs, remove the
    data of a suspended (or no longer allowed) domain's accounts and mark them suspended;
    for a domain whose media is rejected, delete the cached files. Work is committed in
    batches, so a big server does not hold the writer for long; files go after the rows
    that name them are committed away."""
    services.domains.invalidate()
    rules = await services.domains.rules()
    async with services.db.reader() as session:
        ids = await queries.account_ids_of_domain(session, domain)
    purged = cleared = 0
    for account_id in ids:
        async with services.db.reader() as session:
            account = await session.get_one(Account, account_id)
        host, uri = account.domain or "", account.uri
        if rules.suspended(host):
            await _purge_account(services, store, account_id, rules.rule_for(host))
            services.keys.invalidate_owner(uri)
            purged += 1
        elif rules.reject_media(host):
            async with services.db.writer.begin() as session:
                keys = await queries.clear_cached_media(session, account_id)
            for key in keys:
                await store.delete(key)
            cleared += 1
    services.domains.invalidate()
    outcome = f"{domain}: {purged} accounts purged, {cleared} accounts' media cleared"
    log.info("domain clean-up %s", outcome)
    return outcome


async def _purge_account(services: Services, store: MediaStore, account_id: int,
                         rule: Rule | None) -> None:
    """Everything a remote account left here, with the same storage steps as the purge of
    a deleted account (its posts and boosts, boosts of them, likes, notifications, mentions,
    follows, cached media), and its keys. Posts soft-deleted earlier no longer count in
    what they replied to or boosted (hence "live since" the end of time)."""
    while True:
        async with services.db.writer.begin() as session:
            keys = await account_data.purge_status_batch(session, account_id, ALL_LIVE, BATCH)
            done = keys is None
            if keys is None:
                account = await session.get_one(Account, account_id)
                keys = await account_data.purge_remaining(session, account, None)
                await account_data.delete_keys(session, account_id)
                queue_keys_changed(session, account_id)
                if account.suspended_at is None and rule is not None \
                        and rule.severity == SUSPEND:
                    # Stamped with the block's time, so that lifting it unsuspends. (Off
                    # the allow-list, the list itself keeps refusing it: no stamp, so that
                    # allowing the domain again lets it back.)
                    account.suspended_at = rule.created_at
                    # No "dreamfeed.domains" per account: the block already refuses them all.
        for key in keys:
            await store.delete(key)
        if done:
            return

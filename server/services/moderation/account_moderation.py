"""Moderating one account, local or remote: suspend, unsuspend, silence, unsilence, show.

What a suspension does follows Mastodon's SuspendAccountService / UnsuspendAccountService:
- a local account: it may no longer post, follow, react or generate (services refuse with
  AccountSuspended); its posts, collections and HTML profile are no longer served, its actor
  still is, stripped, with `suspended: true`; an Update of the actor goes to its followers'
  servers (and again when it is unsuspended). Nothing is deleted: unsuspending restores it.
- a remote account: its activities are dropped, nothing is delivered to its inbox, its posts
  are hidden everywhere, and its follows of local accounts are rejected and removed (they do
  not come back when the suspension is lifted: a remote follow cannot be forced).
Silenced accounts show only to their followers; their follows need approval.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.render import to_activitypub
from server.services.context import Services
from server.services.errors import Conflict, NotFound, ServiceError
from server.services.federation.outbound import delivery
from server.services.federation.outbound.actor_updates import send_actor_update
from server.services.federation.remote import split_handle
from server.services.moderation.domain_policy import DomainRules, normalize_domain
from server.services.streaming.publish import (
    queue_account_changed,
    queue_domains_changed,
    queue_keys_changed,
)
from storage import accounts as account_queries
from storage import audit
from storage import domain_blocks as queries
from storage.ids import new_id
from storage.models import Account
from storage.types import utcnow

# The shape of suspend, unsuspend, silence and unsilence (the admin pages pick one by name).
Moderate = Callable[..., Awaitable[Account]]


@dataclass(frozen=True)
class AccountState:
    handle: str
    uri: str
    local: bool
    suspended_at: datetime | None
    silenced_at: datetime | None
    deleted_at: datetime | None
    domain_block: str | None  # the severity of a block on its server, if any
    statuses: int
    followers: int
    following: int


def handle_of(account: Account, services: Services) -> str:
    return f"{account.username}@{account.domain or services.config.instance.domain}"


async def _find(session: AsyncSession, services: Services, ref: str) -> Account:
    """A stored account by handle (user, user@host, @user@host) or actor URI. Moderation
    acts on accounts this instance knows; it never fetches one."""
    text = ref.strip()
    if text.startswith(("http://", "https://")):
        account = await account_queries.account_by_uri(session, text)
    elif "@" not in text.lstrip("@"):
        account = await account_queries.local_account_by_username(session, text.lstrip("@"))
    else:
        username, domain = split_handle(text)
        if domain == services.config.instance.domain.lower():
            account = await account_queries.local_account_by_username(session, username)
        else:
            account = await account_queries.remote_account_by_handle(session, username,
                                                                     domain)
    if account is None or account.actor_type == "Application":
        raise NotFound(N_("no known account %(ref)r"), ref=ref)
    return account


async def _record(session: AsyncSession, services: Services, account: Account, action: str,
                  actor_account_id: int | None, reason: str | None) -> None:
    await audit.record(session, actor_account_id=actor_account_id, action=action,
                       target_type="account", target=handle_of(account, services),
                       detail={"reason": reason} if reason else None)


def _queue_changed(session: AsyncSession, account: Account) -> None:
    """Every process follows a suspension at its commit: the rules (suspended remote actors)
    are reloaded, the account's cached pages and documents dropped."""
    queue_domains_changed(session)
    queue_account_changed(session, account.id)


async def suspend(services: Services, ref: str, *, reason: str | None = None,
                  actor_account_id: int | None = None) -> Account:
    before = await services.domains.rules()
    async with services.db.writer.begin() as session:
        account = await _find(session, services, ref)
        if account.suspended_at is not None:
            raise Conflict(N_("%(handle)s is already suspended"),
                           handle=handle_of(account, services))
        if account.deleted_at is not None:
            raise ServiceError(N_("%(handle)s is deleted"), handle=handle_of(account, services))
        if not account.is_local:
            await _reject_remote_follows(session, account, before)
        account.suspended_at = utcnow()
        if account.is_local:
            await send_actor_update(services, session, account)
        else:
            # Its key verifies nothing more in any process, whatever the rules' reload.
            queue_keys_changed(session, account.id)
        _queue_changed(session, account)
        await _record(session, services, account, "account.suspend", actor_account_id, reason)
    services.domains.invalidate()
    if not account.is_local:
        services.keys.invalidate_owner(account.uri)
    return account


async def unsuspend(services: Services, ref: str, *, reason: str | None = None,
                    actor_account_id: int | None = None) -> Account:
    async with services.db.writer.begin() as session:
        account = await _find(session, services, ref)
        if account.suspended_at is None:
            raise Conflict(N_("%(handle)s is not suspended"), handle=handle_of(account, services))
        account.suspended_at = None
        if account.is_local:
            await send_actor_update(services, session, account)
        _queue_changed(session, account)
        await _record(session, services, account, "account.unsuspend", actor_account_id,
                      reason)
    services.domains.invalidate()
    return account


async def silence(services: Services, ref: str, *, reason: str | None = None,
                  actor_account_id: int | None = None) -> Account:
    async with services.db.writer.begin() as session:
        account = await _find(session, services, ref)
        if account.silenced_at is not None:
            raise Conflict(N_("%(handle)s is already silenced"),
                           handle=handle_of(account, services))
        account.silenced_at = utcnow()
        queue_account_changed(session, account.id)
        await _record(session, services, account, "account.silence", actor_account_id, reason)
    return account


async def unsilence(services: Services, ref: str, *, reason: str | None = None,
                    actor_account_id: int | None = None) -> Account:
    async with services.db.writer.begin() as session:
        account = await _find(session, services, ref)
        if account.silenced_at is None:
            raise Conflict(N_("%(handle)s is not silenced"), handle=handle_of(account, services))
        account.silenced_at = None
        queue_account_changed(session, account.id)
        await _record(session, services, account, "account.unsilence", actor_account_id,
                      reason)
    return account


async def show(services: Services, ref: str) -> AccountState:
    rules = await services.domains.rules()
    async with services.db.reader() as session:
        account = await _find(session, services, ref)
        counts = await queries.account_counts(session, account.id)
    rule = None if account.domain is None else rules.rule_for(normalize_domain(account.domain))
    return AccountState(
        handle=handle_of(account, services), uri=account.uri, local=account.is_local,
        suspended_at=account.suspended_at, silenced_at=account.silenced_at,
        deleted_at=account.deleted_at, domain_block=rule.severity if rule else None,
        statuses=counts.statuses, followers=counts.followers, following=counts.following)


async def _reject_remote_follows(session: AsyncSession, account: Account,
                                 rules: DomainRules) -> None:
    """A suspended remote account keeps its access at home; to stop it receiving our posts
    its follows are rejected and removed (Mastodon's reject_remote_follows!). The Reject
    goes to its personal inbox, skipped by fan-out from now on, so it is queued with the
    rules read before the suspension."""
    follows = await queries.follows_to_local(session, account.id)
    for follow, target in follows:
        reject = to_activitypub.reject_follow(follow, account, target, serial=new_id())
        await delivery.publish(session, target.id, reject, [account.inbox_url], rules=rules)
    await queries.delete_follows_by(session, account.id)

"""Instance identity: the domain lock, the instance actor, and NodeInfo usage."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub.documents import NodeUsage
from activitypub.keys import generate_rsa_keypair
from server.config import Config
from server.i18n import N_
from server.services.errors import ServiceError
from server.services.media.credentials import ensure_identity
from server.urls import Urls
from storage import accounts as account_queries
from storage import instance as instance_queries
from storage.database import Database
from storage.models import Account, AccountKey
from storage.types import utcnow

DOMAIN_KEY = "domain"
INSTANCE_ACTOR_KEY = "instance_actor_id"


class DomainMismatch(ServiceError):
    pass


async def lock_domain(session: AsyncSession, domain: str) -> None:
    """Record the domain at first start; refuse any later start under another one.

    Every id this instance has handed out embeds its domain, so serving the same data under
    another one would orphan every follow and post on the fediverse.
    """
    stored = await instance_queries.get_setting(session, DOMAIN_KEY)
    if stored is None:
        await instance_queries.add_setting(session, DOMAIN_KEY, domain)
    elif stored != domain:
        raise DomainMismatch(
            N_("instance.domain is %(domain)r but this database belongs to %(stored)r; the "
               "domain of an instance can never change (every id on the fediverse embeds it)"),
            domain=domain, stored=stored)


def instance_actor_username(config: Config) -> str:
    """Mastodon names its instance actor after the local domain; so do we.

    A domain always contains a dot or a colon, or is reserved (see services.accounts), so it
    can never collide with a user's name.
    """
    return config.instance.domain


async def ensure_instance_actor(session: AsyncSession, config: Config) -> Account:
    """The Application actor that signs instance-level requests; created at first start."""
    stored = await instance_queries.get_setting(session, INSTANCE_ACTOR_KEY)
    if stored is not None:
        actor = await account_queries.account_by_id(session, int(stored))
        if actor is not None:
            return actor
    urls = Urls(config.base_url)
    keys = await asyncio.to_thread(generate_rsa_keypair)
    actor = Account(
        username=instance_actor_username(config), domain=None, actor_type="Application",
        uri=urls.instance_actor, url=urls.about, display_name=config.instance.name,
        inbox_url=urls.instance_inbox, shared_inbox_url=urls.shared_inbox,
        outbox_url=urls.instance_outbox, manually_approves_followers=True, discoverable=False,
    )
    session.add(actor)
    await session.flush()
    session.add(AccountKey(account_id=actor.id, key_id=urls.instance_key_id,
                           public_key_pem=keys.public_pem, private_key_pem=keys.private_pem))
    await instance_queries.add_setting(session, INSTANCE_ACTOR_KEY, str(actor.id))
    return actor


async def prepare_instance(sessionmaker: async_sessionmaker[AsyncSession], config: Config) -> int:
    """At start: lock the domain and make sure the instance actor (and the C2PA signing
    identity) exist. Returns the actor's id."""
    async with sessionmaker.begin() as session:
        await lock_domain(session, config.instance.domain)
        actor = await ensure_instance_actor(session, config)
        # The key that signs our images' content credentials (C2PA), made at first start.
        await ensure_identity(session, config)
        return actor.id


async def has_admin(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    """Whether an administrator can sign in (serve's first-run hint says how to make one)."""
    async with sessionmaker() as session:
        return await instance_queries.first_admin_account_id(session) is not None


async def recorded_domain(sessionmaker: async_sessionmaker[AsyncSession]) -> str | None:
    """The domain this database was started under (None before the first start)."""
    async with sessionmaker() as session:
        return await instance_queries.get_setting(session, DOMAIN_KEY)


async def node_usage(db: Database) -> NodeUsage:
    async with db.reader() as session:
        return await _node_usage(session)


async def _node_usage(session: AsyncSession) -> NodeUsage:
    now = utcnow()
    return NodeUsage(
        users_total=await account_queries.count_local_users(session),
        users_active_month=await account_queries.count_active_local_users(
            session, now - timedelta(days=30)),
        users_active_halfyear=await account_queries.count_active_local_users(
            session, now - timedelta(days=180)),
        local_posts=await instance_queries.count_local_statuses(session),
    )

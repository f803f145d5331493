"""Local accounts: creating users and finding accounts to show."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub.keys import generate_rsa_keypair
from server import passwords
from server.config import Config, split_domain
from server.i18n import N_
from server.services.context import InboxOwner, Services
from server.services.errors import InvalidInput, NotFound
from server.urls import Urls
from storage import accounts as account_queries
from storage.database import Database
from storage.models import Account, AccountKey, User

USERNAME_RE = re.compile(r"[a-z0-9_]{1,30}")


class NameTaken(InvalidInput):
    """The username (or e-mail) is in use or was used: a form's field refused, as Mastodon's
    `ERR_TAKEN` validation is a 422, not a conflict of states."""


def normalize_username(raw: str) -> str:
    """Usernames are case-insensitive: we keep them lowercase. Raises InvalidInput."""
    name = raw.strip().lower()
    if not USERNAME_RE.fullmatch(name):
        raise InvalidInput(N_("invalid username %(name)r: use 1 to 30 characters: lowercase "
                              "letters a-z, digits 0-9 and underscores"), name=raw)
    return name


def reserved_usernames(config: Config) -> frozenset[str]:
    """Names that would shadow the instance actor (named after the domain)."""
    host, _ = split_domain(config.instance.domain)
    return frozenset({host.lower(), config.instance.domain.lower()})


@dataclass(frozen=True)
class NewUser:
    account_id: int
    user_id: int
    username: str
    actor_uri: str


InTransaction = Callable[[AsyncSession, NewUser], Awaitable[None]]


async def create_local_user(sessionmaker: async_sessionmaker[AsyncSession], config: Config, *,
                            username: str, password: str, admin: bool = False,
                            email: str | None = None, approved: bool = True,
                            registration_reason: str = "",
                            in_transaction: InTransaction | None = None) -> NewUser:
    """A new local account with its login and its own RSA-2048 key pair.

    `in_transaction(session, user)` runs in the same transaction after the rows are written
    (sign-ups use it to spend an invite and notify admins); what it raises rolls all back."""
    name = normalize_username(username)
    if name in reserved_usernames(config):
        raise InvalidInput(N_("username %(name)r is reserved on this instance"), name=name)
    if not passwords.MIN_LENGTH <= len(password) <= passwords.MAX_LENGTH:
        raise InvalidInput(N_("password must be %(min)s to %(max)s characters"),
                           min=passwords.MIN_LENGTH, max=passwords.MAX_LENGTH)
    # Hashing and key generation are CPU-bound: keep them off the event loop.
    password_hash, keys = await asyncio.gather(
        asyncio.to_thread(passwords.hash_password, password),
        asyncio.to_thread(generate_rsa_keypair))
    urls = Urls(config.base_url)
    try:
        async with sessionmaker.begin() as session:
            taken = await account_queries.local_account_by_username(session, name)
            if taken is not None and taken.deleted_at is not None:
                # The actor id embeds the name; servers that saw the old account's Delete
                # would refuse a new one under the same id.
                raise NameTaken(N_("username %(name)r belonged to a deleted account and "
                                   "cannot be used again"), name=name)
            if taken is not None:
                raise NameTaken(N_("username %(name)r is taken"), name=name)
            account = Account(
                username=name, domain=None, actor_type="Person", uri=urls.actor(name),
                url=urls.profile(name), display_name="", inbox_url=urls.inbox(name),
                shared_inbox_url=urls.shared_inbox, outbox_url=urls.outbox(name),
                followers_url=urls.followers(name), following_url=urls.following(name))
            session.add(account)
            await session.flush()
            session.add(AccountKey(account_id=account.id, key_id=urls.key_id(name),
                                   public_key_pem=keys.public_pem,
                                   private_key_pem=keys.private_pem))
            user = User(account_id=account.id, email=email, password_hash=password_hash,
                        admin=admin, approved=approved,
                        registration_reason=registration_reason)
            session.add(user)
            await session.flush()
            new_user = NewUser(account_id=account.id, user_id=user.id, username=name,
                               actor_uri=account.uri)
            if in_transaction is not None:
                await in_transaction(session, new_user)
            return new_user
    except IntegrityError:
        # Lost a race with a concurrent sign-up for the same name (or e-mail).
        raise NameTaken(N_("username %(name)r or that e-mail address is taken"),
                        name=name) from None


async def inbox_owner(services: Services, username: str) -> InboxOwner | None:
    """The local account behind /users/{username}/inbox, cached briefly."""
    hit, cached = services.inbox_owners.get(username)
    if hit:
        return cached
    async with services.db.reader() as session:
        account = await find_local_account(session, username)
    owner = None if account is None else InboxOwner(account.id, account.deleted_at is not None)
    services.inbox_owners.put(username, owner)
    return owner


async def local_account(db: Database, username: str) -> Account | None:
    """find_local_account in a read transaction of its own."""
    async with db.reader() as session:
        return await find_local_account(session, username)


async def find_local_account(session: AsyncSession, username: str) -> Account | None:
    """A local person's account (deleted ones too: callers answer 410), never the instance
    actor."""
    account = await account_queries.local_account_by_username(session, username)
    if account is None or account.actor_type == "Application":
        return None
    return account


async def local_user_account(db: Database, raw_username: str) -> Account:
    """The account of the local user (with a sign-in, not the instance actor) named
    `raw_username`; NotFound when there is none."""
    name = normalize_username(raw_username)
    async with db.reader() as session:
        account = await find_local_account(session, name)
        user = None if account is None else await account_queries.user_by_account_id(
            session, account.id)
    if account is None or user is None:
        raise NotFound(N_("there is no local user named %(name)r"), name=name)
    return account

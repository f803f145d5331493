"""A local account's key pair replaced (Mastodon's `tootctl accounts rotate`): for a key
that leaked, or one made too weak. The keyId stays (`<actor>#main-key`), as Mastodon keeps
it; the new public key goes out at once in an Update of the actor to the followers' servers,
and servers that cached the old one refetch it when a signature fails with it.

In this instance's processes, at the commit: every cached actor document and page of the
account is dropped ("dreamfeed.account", with the Update), any key cache entry of it too
("dreamfeed.keys"); deliveries read their signing key when they run, so those already
queued are signed with the new key."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from activitypub.keys import generate_rsa_keypair
from server.i18n import N_
from server.services.context import Services
from server.services.errors import NotFound, ServiceError
from server.services.federation.outbound.actor_updates import send_actor_update
from server.services.streaming.publish import queue_keys_changed
from storage import accounts as account_queries
from storage.audit import record


@dataclass(frozen=True)
class RotatedKey:
    username: str
    key_id: str


async def rotate_key(services: Services, username: str, *,
                     actor_account_id: int | None = None) -> RotatedKey:
    """Give the local account `username` a new key pair (audited: account.rotate_key)."""
    # RSA-2048 generation is CPU-bound: off the event loop, before the transaction.
    keys = await asyncio.to_thread(generate_rsa_keypair)
    async with services.db.writer.begin() as session:
        account = await account_queries.local_account_by_username(session,
                                                                  username.lstrip("@"))
        if account is None or account.actor_type == "Application":
            raise NotFound(N_("no local account named %(name)r"), name=username)
        if account.deleted_at is not None:
            raise ServiceError(N_("the account %(name)r is deleted"), name=account.username)
        key = await account_queries.signing_key(session, account.id)
        if key is None:
            raise ServiceError(N_("the account %(name)r has no key to replace"),
                               name=account.username)
        key.public_key_pem, key.private_key_pem = keys.public_pem, keys.private_pem
        queue_keys_changed(session, account.id)
        await send_actor_update(services, session, account)
        await record(session, actor_account_id=actor_account_id, action="account.rotate_key",
                     target_type="account", target=account.uri,
                     detail={"key_id": key.key_id})
        return RotatedKey(account.username, key.key_id)

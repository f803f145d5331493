"""What the actor documents show: a local account, with its public key when the caller
serves the document (a browser is redirected to the profile and needs no key)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Config
from server.render.text import MentionTarget
from server.services.accounts.bio import bio_mentions
from server.services.accounts.users import find_local_account
from storage import accounts as account_queries
from storage.database import Database
from storage.models import Account, AccountKey


@dataclass(frozen=True)
class ActorRecord:
    account: Account
    # Read only when the document is served; None also for a broken row.
    key: AccountKey | None
    # The accounts its bio mentions that are known here (linked in `summary`), read with
    # the key.
    mentions: dict[str, MentionTarget] = field(default_factory=dict)


async def local_person(db: Database, username: str, *, with_key: bool,
                       config: Config) -> ActorRecord | None:
    """The local person `username` (deleted ones too: the caller answers 410)."""
    async with db.reader() as session:
        account = await find_local_account(session, username)
        if account is None:
            return None
        # A deleted account answers 410 with no document: no key to read.
        record = await _record(session, account,
                               with_key=with_key and account.deleted_at is None)
        if record.key is None:
            return record
        return replace(record, mentions=await bio_mentions(session, account.note, config))


async def instance_actor(db: Database, account_id: int, *,
                         with_key: bool) -> ActorRecord | None:
    async with db.reader() as session:
        account = await account_queries.account_by_id(session, account_id)
        if account is None:
            return None
        return await _record(session, account, with_key=with_key)


async def _record(session: AsyncSession, account: Account, *, with_key: bool) -> ActorRecord:
    key = await account_queries.public_key(session, account.id) if with_key else None
    return ActorRecord(account, key)

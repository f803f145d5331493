"""What a batch of received activities looks up once, instead of once per activity.

Nearly every handler starts by reading the actor's account, and a Like or Announce by reading
the local post it names; each was a reader session of its own (on SQLite a BEGIN, the query
and a ROLLBACK, each a hop to the connection's thread: about 1 ms of CPU, more than the rest
of an ignored activity). inbox_apply reads them for the whole batch in the session that reads
its rows (two IN queries) and hands them to the handlers through a context variable, which the
tasks applying the batch inherit.

The copies are as fresh as a read at the start of the batch, no staler: an actor's account
serves that actor's first activity in the batch only (inbox_apply forgets it after each of
its activities, so the next one reads again what the first may have changed), and a post is
used only to refuse at once a Like or Announce of one of our posts that does not exist or is
gone (a local post is never created or brought back by a received activity).

For the batch's Likes of our posts it also reads which are stored already (by the Like's id, or
the actor's like of that post): a repeat (a redelivery) is refused without a session of its
own, and the others go straight to the writer, which checks everything again under its lock,
so a like stored since the batch read is still refused there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.parse import first_type, object_id, same_origin
from server.services.federation.remote import STALE_AFTER
from storage import accounts as account_queries
from storage import favourites as favourite_queries
from storage import statuses as status_queries
from storage.models import Account, Status
from storage.types import utcnow

# Activities whose object, when it is one of our posts, is read for the batch.
_NAMING_A_POST = frozenset({"Like", "Announce"})


@dataclass
class BatchLookups:
    # Actor id -> its stored account, or None when none is stored (known absent).
    accounts: dict[str, Account | None] = field(default_factory=dict)
    # Id of one of our posts -> the status, or None when there is none.
    statuses: dict[str, Status | None] = field(default_factory=dict)
    # Ids of the batch's Likes of our posts: those stored already; and the (account, status)
    # pairs liked already among the batch's actors and posts.
    likes: set[str] = field(default_factory=set)
    liked_ids: set[str] = field(default_factory=set)
    liked_pairs: set[tuple[int, int]] = field(default_factory=set)


_current: ContextVar[BatchLookups | None] = ContextVar("inbox_batch_lookups", default=None)


async def prefetch(session: AsyncSession, base_url: str,
                   bodies: Iterable[tuple[str, dict[str, Any]]]) -> BatchLookups:
    """Read, in three queries, the accounts of these (actor id, activity body) pairs' actors,
    the posts of ours their Likes and Announces name, and which of those Likes are stored."""
    actors: set[str] = set()
    posts: set[str] = set()
    likes: set[str] = set()
    for actor, body in bodies:
        actors.add(actor)
        target = object_id(body.get("object"))
        kind = first_type(body)
        if kind in _NAMING_A_POST and target and same_origin(target, base_url):
            posts.add(target)
            if kind == "Like" and isinstance(body.get("id"), str):
                likes.add(body["id"])
    accounts = await account_queries.accounts_by_uris(session, actors)
    statuses = await status_queries.by_uris(session, posts)
    liked_ids, liked_pairs = await favourite_queries.stored_likes(
        session, likes, [a.id for a in accounts.values()], [s.id for s in statuses.values()]) \
        if likes else (set(), set())
    return BatchLookups(accounts={uri: accounts.get(uri) for uri in actors},
                        statuses={uri: statuses.get(uri) for uri in posts},
                        likes=likes, liked_ids=liked_ids, liked_pairs=liked_pairs)


@contextlib.contextmanager
def using(lookups: BatchLookups) -> Iterator[None]:
    """Make `lookups` visible to the handlers run within (and the tasks started within)."""
    token = _current.set(lookups)
    try:
        yield
    finally:
        _current.reset(token)


def forget(actor_uri: str) -> None:
    """The actor's account may have changed (one of its activities was applied)."""
    lookups = _current.get()
    if lookups is not None:
        lookups.accounts.pop(actor_uri, None)


def known_account(uri: str) -> tuple[bool, Account | None]:
    """(True, account or None when none is stored) when the batch read `uri`; (False, None)
    when it did not, and the caller must look for itself."""
    lookups = _current.get()
    if lookups is None or uri not in lookups.accounts:
        return False, None
    return True, lookups.accounts[uri]


def fresh_account(uri: str) -> Account | None:
    """The batch's copy of the account, when it needs no refetch from its origin (as
    remote.account_for_uri decides: local, or fetched within STALE_AFTER)."""
    _, account = known_account(uri)
    if account is None:
        return None
    if account.is_local or (account.fetched_at is not None
                            and utcnow() - account.fetched_at <= STALE_AFTER):
        return account
    return None


def missing_local_post(uri: str) -> bool:
    """Whether the batch found no live post of ours with this id (none, deleted, or a boost).
    False when it did not look, or found one."""
    lookups = _current.get()
    if lookups is None or uri not in lookups.statuses:
        return False
    status = lookups.statuses[uri]
    return status is None or not status.local or status.deleted_at is not None \
        or status.reblog_of_id is not None


def like_known(like_id: str, account_id: int, status: Status | None) -> bool | None:
    """Whether this Like is stored already (by its id, or as the account's like of the post),
    as the batch read it; None when the batch did not look."""
    lookups = _current.get()
    if lookups is None or like_id not in lookups.likes or status is None:
        return None
    return like_id in lookups.liked_ids or (account_id, status.id) in lookups.liked_pairs


def batch_post(uri: str) -> Status | None:
    """The batch's copy of one of our posts (None when it did not read it or found none)."""
    lookups = _current.get()
    return lookups.statuses.get(uri) if lookups is not None else None

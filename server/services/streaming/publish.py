"""Publishing when the change commits: a service records its event on the session it writes
with (`queue_event`), and the bus that serves the session's database publishes the events
once the transaction commits; a rollback drops them. CLI commands publish on a bus that
does not listen (server.cli.common.open_services), so the running processes hear of their
changes; a process with no running bus drops them."""

from __future__ import annotations

import weakref
from typing import Protocol

from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from server.services.streaming.events import StreamEvent
from storage import account_data
from storage import statuses as status_queries
from storage.models import Status

_PENDING = "dreamfeed_stream_events"


class Publisher(Protocol):
    def publish_soon(self, event: StreamEvent) -> None: ...


# Engine -> the running bus of its database (two buses in one process, as in the tests, each
# serve their own Database's engines).
_publishers: weakref.WeakKeyDictionary[Engine, Publisher] = weakref.WeakKeyDictionary()
_listening = False


def queue_event(session: AsyncSession | Session, event: StreamEvent) -> None:
    """Publish `event` when `session`'s transaction commits (nothing on rollback)."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    sync.info.setdefault(_PENDING, []).append(event)


def queued_events(session: AsyncSession) -> list[StreamEvent]:
    """The events `session`'s transaction will publish (the list itself: whoever rolls back
    a savepoint removes what was queued within it)."""
    events: list[StreamEvent] = session.sync_session.info.setdefault(_PENDING, [])
    return events


async def status_event(session: AsyncSession, kind: str, status: Status) -> StreamEvent:
    """An "update" or "status.update" for `status` with what routing needs (its tags as
    linked in this transaction: call it after they are)."""
    return StreamEvent(kind, account_id=status.account_id, status_id=status.id,
                       visibility=status.visibility, local=status.local,
                       tags=tuple(await status_queries.tag_names(session, status.id)),
                       reblog_of_id=status.reblog_of_id,
                       in_reply_to_account_id=status.in_reply_to_account_id)


def deleted(status: Status) -> StreamEvent:
    # With its visibility: a private status's delete goes to no public stream.
    return StreamEvent("delete", account_id=status.account_id, status_id=status.id,
                       visibility=status.visibility)


async def queue_deleted(session: AsyncSession, status: Status) -> None:
    """`delete` for a deleted status and for every live boost of it: clients show boosts
    under their own ids (Mastodon's RemoveStatusService removes the reblogs with it)."""
    queue_event(session, deleted(status))
    for boost in await status_queries.live_boosts_of(session, status.id):
        queue_event(session, deleted(boost))


# The newest posts of a deleted account that streams are told of; older ones are far down
# any client's timeline (they go from the pages with the account).
ACCOUNT_GONE_EVENTS = 1000


def queue_account_changed(session: AsyncSession | Session, account_id: int) -> None:
    """What the account's actor, profile or WebFinger show changed (a local actor Update, a
    remote actor stored or its counts read): caches of rendered documents drop its entries."""
    queue_event(session, StreamEvent("dreamfeed.account", account_id=account_id))


def queue_domains_changed(session: AsyncSession | Session) -> None:
    """The federation rules changed (blocks, the allow-list, suspended remote accounts):
    every process reloads them when this commits."""
    queue_event(session, StreamEvent("dreamfeed.domains"))


def queue_keys_changed(session: AsyncSession | Session, account_id: int) -> None:
    """The account's public keys changed or went: every process's key cache drops them."""
    queue_event(session, StreamEvent("dreamfeed.keys", account_id=account_id))


async def queue_account_gone(session: AsyncSession, account_id: int) -> None:
    """`delete` for the newest posts of an account being deleted (call before they are
    hidden), as Mastodon's BatchedRemoveStatusService streams them."""
    for status_id, visibility in await account_data.newest_statuses(session, account_id,
                                                                    ACCOUNT_GONE_EVENTS):
        queue_event(session, StreamEvent("delete", account_id=account_id,
                                         status_id=status_id, visibility=visibility))


def attach(engines: tuple[Engine, ...], publisher: Publisher) -> None:
    """Route the events committed on these engines to `publisher` (called by the bus)."""
    global _listening
    if not _listening:
        # On the Session class, once: AsyncSession runs on a sync Session underneath.
        sa_event.listen(Session, "after_commit", _after_commit)
        sa_event.listen(Session, "after_rollback", _after_rollback)
        _listening = True
    for engine in engines:
        _publishers[engine] = publisher


def detach(engines: tuple[Engine, ...]) -> None:
    for engine in engines:
        _publishers.pop(engine, None)


def _after_commit(session: Session) -> None:
    events: list[StreamEvent] = session.info.pop(_PENDING, [])
    if not events:
        return
    engine = _engine_of(session)
    publisher = None if engine is None else _publishers.get(engine)
    if publisher is None:
        return
    for item in events:
        publisher.publish_soon(item)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _engine_of(session: Session) -> Engine | None:
    bind = session.bind
    if bind is None:
        return None
    return bind if isinstance(bind, Engine) else bind.engine

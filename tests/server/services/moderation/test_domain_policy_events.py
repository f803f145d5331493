"""The rules kept in memory follow the bus: a "dreamfeed.domains" event (any process's
change) reloads them at once, however long their reload interval."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from server.services.moderation.domain_policy import DomainPolicy
from server.services.streaming.events import StreamEvent
from storage import domain_blocks as domain_queries
from storage.database import Database
from storage.domain_blocks import Snapshot
from storage.models import DomainBlock
from storage.types import utcnow


async def _block(db: Database, domain: str) -> None:
    async with db.writer.begin() as session:
        session.add(DomainBlock(domain=domain, severity="suspend", reject_media=False,
                                created_at=utcnow(), public_comment="", private_comment=""))


async def test_an_event_reloads_the_rules_at_once(database: Database) -> None:
    policy = DomainPolicy(database, own_domain="here.example", allowlist_mode=False,
                          ttl=3600)
    assert (await policy.rules()).allowed("spam.example")
    await _block(database, "spam.example")  # as another process would
    assert (await policy.rules()).allowed("spam.example")  # kept: no event yet
    policy.on_event(StreamEvent("dreamfeed.account", account_id=1))  # not about rules
    assert (await policy.rules()).allowed("spam.example")
    policy.on_event(StreamEvent("dreamfeed.domains"))
    assert not (await policy.rules()).allowed("spam.example")


async def test_a_reload_overtaken_by_a_change_is_not_kept(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reload that read the rules before a change committed answers with them, but is not
    kept: the change's event came while it was reading."""
    policy = DomainPolicy(database, own_domain="here.example", allowlist_mode=False,
                          ttl=3600)
    read, release = asyncio.Event(), asyncio.Event()
    reads = 0
    real = domain_queries.snapshot

    async def snapshot(session: AsyncSession) -> Snapshot:
        nonlocal reads
        reads += 1
        found = await real(session)
        read.set()
        await release.wait()
        return found

    monkeypatch.setattr(domain_queries, "snapshot", snapshot)
    reloading = asyncio.create_task(policy.rules())
    await read.wait()
    await _block(database, "spam.example")
    policy.on_event(StreamEvent("dreamfeed.domains"))
    release.set()
    assert (await reloading).allowed("spam.example")  # what it read
    assert not (await policy.rules()).allowed("spam.example")
    assert reads == 2

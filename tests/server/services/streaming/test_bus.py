"""The stream bus: events queued in a transaction reach every process's hub once, after the
commit (never on rollback), in-process on SQLite, over LISTEN/NOTIFY on PostgreSQL and over
Redis pub/sub; a killed LISTEN connection comes back; a job worker's events go out too."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from server.config import Config
from server.jobs.queue import enqueue
from server.jobs.registry import JobContext, JobRegistry, JobResources
from server.jobs.worker import WorkerPool
from server.services.streaming.bus import StreamBus
from server.services.streaming.events import StreamEvent
from server.services.streaming.hub import Hub, Subscription
from server.services.streaming.publish import queue_event
from storage.database import Database, is_sqlite
from storage.migrate import upgrade
from tests.conftest import IN_CI

REDIS_URL = os.environ.get("DREAMFEED_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def redis_url() -> str:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"CI=true but Redis at {REDIS_URL} is not reachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is not reachable: {exc}")
    finally:
        await client.aclose()
    return REDIS_URL


async def _next(subscription: Subscription, timeout: float = 5.0) -> StreamEvent:
    return await asyncio.wait_for(subscription.get(), timeout)


async def _nothing_more(subscription: Subscription) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(subscription.get(), 0.3)


async def _commit(db: Database, event: StreamEvent) -> None:
    async with db.writer.begin() as session:
        await session.execute(text("SELECT 1"))
        queue_event(session, event)


async def test_published_after_commit_and_never_on_rollback(database: Database) -> None:
    hub = Hub()
    bus = StreamBus(hub, database)
    await bus.start()
    try:
        assert bus.transport == ("in-process" if is_sqlite(str(database.write_engine.url))
                                 else "PostgreSQL")
        async with hub.subscribe() as subscription:
            event = StreamEvent("delete", status_id=7, account_id=3)
            async with database.writer.begin() as session:
                await session.execute(text("SELECT 1"))
                queue_event(session, event)
                # nothing before the commit
                assert subscription._queue.empty()
            assert await _next(subscription) == event
            await _nothing_more(subscription)  # once, though it also came back over the bus

            class Refused(Exception):
                pass

            with pytest.raises(Refused):
                async with database.writer.begin() as session:
                    await session.execute(text("SELECT 1"))
                    queue_event(session, StreamEvent("delete", status_id=8, account_id=3))
                    raise Refused
            # the next transaction on a reused session object does not carry it either
            await _commit(database, StreamEvent("filters_changed", account_id=3))
            assert await _next(subscription) == StreamEvent("filters_changed", account_id=3)
            await _nothing_more(subscription)
    finally:
        await bus.stop()
    # stopped: a commit publishes nothing (and fails nothing)
    async with hub.subscribe() as subscription:
        await _commit(database, StreamEvent("delete", status_id=9, account_id=3))
        await _nothing_more(subscription)


async def _two_processes(database_url: str, redis_url: str = "", *,
                         channel: str = "dreamfeed_stream", keepalive: float = 30.0
                         ) -> tuple[list[Database], list[Hub], list[StreamBus]]:
    dbs = [Database(database_url), Database(database_url)]
    await upgrade(dbs[0].write_engine)
    hubs = [Hub(), Hub()]
    buses = [StreamBus(hub, db, redis_url=redis_url, channel=channel, keepalive=keepalive)
             for hub, db in zip(hubs, dbs, strict=True)]
    for bus in buses:
        await bus.start()
    return dbs, hubs, buses


async def _close(dbs: list[Database], buses: list[StreamBus]) -> None:
    for bus in buses:
        await bus.stop()
    for db in dbs:
        await db.dispose()


async def _crosses(dbs: list[Database], hubs: list[Hub]) -> None:
    """An event committed in "process" 0 reaches both hubs, once each; and back."""
    async with hubs[0].subscribe() as first, hubs[1].subscribe() as second:
        event = StreamEvent("update", status_id=11, account_id=2, visibility="public",
                            local=True, tags=("boats",))
        await _commit(dbs[0], event)
        assert await _next(second) == event
        assert await _next(first) == event
        other = StreamEvent("notification", notification_id=12, account_id=2)
        await _commit(dbs[1], other)
        assert await _next(first) == other
        assert await _next(second) == other
        await _nothing_more(first)
        await _nothing_more(second)


@pytest.mark.postgres
async def test_listen_notify_between_two_processes(database_url: str) -> None:
    if is_sqlite(database_url):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    dbs, hubs, buses = await _two_processes(database_url)
    try:
        assert [bus.transport for bus in buses] == ["PostgreSQL", "PostgreSQL"]
        await _crosses(dbs, hubs)
    finally:
        await _close(dbs, buses)


async def test_redis_between_two_processes(database_url: str, redis_url: str) -> None:
    # A channel of its own: tests running in parallel share the Redis server.
    dbs, hubs, buses = await _two_processes(database_url, redis_url,
                                            channel=f"dreamfeed_test_{uuid.uuid4().hex}")
    try:
        assert [bus.transport for bus in buses] == ["Redis", "Redis"]
        await _crosses(dbs, hubs)
    finally:
        await _close(dbs, buses)


@pytest.mark.postgres
async def test_listen_connection_killed_reconnects(database_url: str,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    if is_sqlite(database_url):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    caplog.set_level(logging.INFO, logger="server.services.streaming.bus")
    dbs, hubs, buses = await _two_processes(database_url, keepalive=0.5)
    try:
        async with dbs[0].writer.begin() as session:
            killed = (await session.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN%'"))).scalar_one()
        assert killed == 2
        for _ in range(100):
            if caplog.text.count("reconnected to PostgreSQL") == 2:
                break
            await asyncio.sleep(0.1)
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 2, caplog.text  # one line per lost connection
        assert "lost the PostgreSQL subscription" in warnings[0].getMessage()
        assert caplog.text.count("reconnected to PostgreSQL") == 2
        await _crosses(dbs, hubs)
    finally:
        await _close(dbs, buses)


async def test_a_job_workers_events_are_published(database: Database, tmp_path: Path) -> None:
    hub = Hub()
    bus = StreamBus(hub, database)
    await bus.start()
    registry = JobRegistry()

    @registry.handler("test.generation_done")
    async def _done(context: JobContext, payload: dict[str, object]) -> None:
        async with context.resources.sessionmaker.begin() as session:
            queue_event(session, StreamEvent("dreamfeed.generation", account_id=1,
                                             generation_id=int(str(payload["id"])),
                                             state="done"))

    pool = WorkerPool(JobResources(config=Config(), sessionmaker=database.writer), registry,
                      concurrency=1)
    try:
        async with hub.subscribe() as subscription:
            async with database.writer.begin() as session:
                await enqueue(session, "test.generation_done", {"id": 42})
            assert await pool.run_until_empty() == 1
            assert await _next(subscription) == StreamEvent(
                "dreamfeed.generation", account_id=1, generation_id=42, state="done")
    finally:
        await bus.stop()


async def test_redis_subscription_killed_reconnects(database_url: str, redis_url: str,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="server.services.streaming.bus")
    dbs, hubs, buses = await _two_processes(database_url, redis_url, keepalive=0.5,
                                            channel=f"dreamfeed_test_{uuid.uuid4().hex}")
    admin = Redis.from_url(redis_url)
    try:
        # Only these buses' subscriptions (other tests share the Redis): by their address.
        for bus in buses:
            connection = bus._transport._pubsub.connection  # type: ignore[union-attr]
            host, port = connection._writer.get_extra_info("sockname")[:2]
            assert await admin.client_kill_filter(_type="pubsub", addr=f"{host}:{port}") == 1
        for _ in range(100):
            if caplog.text.count("reconnected to Redis") == 2:
                break
            await asyncio.sleep(0.1)
        assert "lost the Redis subscription" in caplog.text
        assert caplog.text.count("reconnected to Redis") == 2, caplog.text
        await _crosses(dbs, hubs)
    finally:
        await admin.aclose()
        await _close(dbs, buses)


async def test_a_publish_only_bus_reaches_the_listening_ones(database_url: str,
                                                             database: Database) -> None:
    """A CLI command's bus (listen=False) sends what it commits to the running processes,
    over PostgreSQL NOTIFY, or on SQLite through the events file the server follows; it
    hears nothing itself."""
    server_hub, cli_hub = Hub(), Hub()
    server = StreamBus(server_hub, database)
    await server.start()
    cli_db = Database(database_url)
    cli = StreamBus(cli_hub, cli_db)
    try:
        await cli.start(listen=False)
        committed: list[StreamEvent] = []
        cli_hub.listen_at_commit(committed.append)
        async with server_hub.subscribe() as heard, cli_hub.subscribe() as own:
            event = StreamEvent("dreamfeed.domains")
            await _commit(cli_db, event)
            assert await _next(heard) == event
            assert committed == [event]  # its own caches, at the commit
            await _nothing_more(own)
    finally:
        await cli.stop()
        await cli_db.dispose()
        await server.stop()


async def test_a_publish_only_bus_over_redis(database: Database, redis_url: str) -> None:
    server_hub, channel = Hub(), f"dreamfeed_test_{uuid.uuid4().hex}"
    server = StreamBus(server_hub, database, redis_url=redis_url, channel=channel)
    cli = StreamBus(Hub(), database, redis_url=redis_url, channel=channel)
    await server.start()
    try:
        await cli.start(listen=False)
        async with server_hub.subscribe() as heard:
            event = StreamEvent("dreamfeed.keys", account_id=5)
            await cli.publish(event)
            assert await _next(heard) == event
    finally:
        await cli.stop()
        await server.stop()

"""The schema comes from Alembic alone and behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import make_engine, make_sessionmaker
from storage.migrate import current_revision, head_revision, upgrade
from storage.models import Account, Base, Job

EXPECTED_TABLES = {"instance_settings", "accounts", "account_keys", "users", "follows",
                   "blocks", "inbox_activities", "outgoing_activities", "delivery_hosts",
                   "statuses", "jobs", "generations", "generation_quotas", "description_quotas",
                   "media_attachments", "remote_media", "mentions", "tags", "status_tags",
                   "favourites", "notifications", "tombstones", "mutes", "filters", "reports",
                   "domain_blocks", "domain_allows", "invites", "audit_log",
                   "prompt_refusals", "web_sessions", "markers", "oauth_apps", "oauth_codes",
                   "oauth_tokens", "bookmarks", "status_pins", "lists", "list_members",
                   "pending_media", "interaction_requests", "conversations",
                   "conversation_statuses",
                   "quotes",
                   "quote_policies", "tag_follows", "status_search", "account_domain_blocks",
                   "alembic_version"}
# SQLite's FTS5 keeps the search index (status_search, a virtual table) in shadow tables.
FTS5_SHADOWS = ("status_search_",)


async def test_upgrade_creates_the_schema_and_is_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert await current_revision(engine) is None
        await upgrade(engine)
        assert await current_revision(engine) == head_revision()
        await upgrade(engine)  # a second run changes nothing
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert {t for t in tables if not t.startswith(FTS5_SHADOWS)} == EXPECTED_TABLES
    finally:
        await engine.dispose()


async def test_migrations_match_the_models(engine: AsyncEngine) -> None:
    """Every model column exists in the migrated schema (later migrations only add)."""
    def columns(conn: object) -> dict[str, set[str]]:
        insp = inspect(conn)
        return {t: {c["name"] for c in insp.get_columns(t)} for t in insp.get_table_names()}

    async with engine.connect() as conn:
        actual = await conn.run_sync(columns)
    for table in Base.metadata.sorted_tables:
        assert {c.name for c in table.columns} == actual[table.name], table.name


async def test_timestamps_are_utc_aware_on_both_databases(engine: AsyncEngine) -> None:
    sessionmaker = make_sessionmaker(engine)
    paris = timezone(timedelta(hours=1))
    at = datetime(2026, 3, 1, 13, 30, 15, 123000, tzinfo=paris)
    async with sessionmaker.begin() as session:
        session.add(Job(kind="k", payload={"a": 1}, run_at=at))
    async with sessionmaker() as session:
        job = (await session.execute(select(Job))).scalar_one()
    assert job.run_at.tzinfo is not None
    assert job.run_at.utcoffset() == timedelta(0)
    assert job.run_at == at.astimezone(UTC)
    assert job.payload == {"a": 1}


async def test_naive_datetimes_are_refused(engine: AsyncEngine) -> None:
    sessionmaker = make_sessionmaker(engine)
    with pytest.raises(Exception, match="naive datetime"):
        async with sessionmaker.begin() as session:
            session.add(Job(kind="k", payload={}, run_at=datetime(2026, 1, 1)))


def _account(username: str, domain: str | None) -> Account:
    host = domain or "local.test"
    return Account(username=username, domain=domain, uri=f"https://{host}/u/{username}",
                   inbox_url=f"https://{host}/u/{username}/inbox")


async def test_usernames_are_unique_case_insensitively(engine: AsyncEngine) -> None:
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker.begin() as session:
        session.add(_account("Alice", None))
    with pytest.raises(IntegrityError):
        async with sessionmaker.begin() as session:
            session.add(Account(username="alice", domain=None, uri="https://x/other",
                                inbox_url="https://x/other/inbox"))
    # The same name on other servers is another person.
    async with sessionmaker.begin() as session:
        session.add(_account("alice", "a.example"))
        session.add(_account("alice", "b.example"))
    with pytest.raises(IntegrityError):
        async with sessionmaker.begin() as session:
            session.add(Account(username="ALICE", domain="a.example", uri="https://a/2",
                                inbox_url="https://a/2/inbox"))


async def test_ids_are_64_bit(engine: AsyncEngine) -> None:
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker.begin() as session:
        account = _account("bob", None)
        session.add(account)
    assert account.id > 2**40
    async with sessionmaker() as session:
        assert (await session.get(Account, account.id)) is not None

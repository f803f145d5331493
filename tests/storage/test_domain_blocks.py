"""Which stored accounts belong to a domain (and its subdomains, on any port), and the
silence/suspend stamps a domain block puts on them, on both kinds of database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import domain_blocks as queries
from storage.database import make_sessionmaker
from storage.models import Account

BLOCK_TIME = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
OTHER_TIME = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


async def test_accounts_of_a_domain_and_their_stamps(engine: AsyncEngine) -> None:
    sessionmaker = make_sessionmaker(engine)
    domains = ["bad.example", "a.bad.example:8443", "bad.example:80", "notbad.example",
               "bad.example.org", "bad_example", "badxexample", None]
    async with sessionmaker() as session, session.begin():
        for i, domain in enumerate(domains):
            session.add(Account(username=f"u{i}", domain=domain,
                                uri=f"https://{domain or 'here'}/users/u{i}"))
        # Silenced one by one earlier: lifting the domain block must leave it silenced.
        session.add(Account(username="solo", domain="bad.example", uri="https://b/solo",
                            silenced_at=OTHER_TIME))

    async def matching(domain: str) -> list[str]:
        async with sessionmaker() as session:
            ids = await queries.account_ids_of_domain(session, domain)
            rows = await session.execute(select(Account.domain, Account.username)
                                         .where(Account.id.in_(ids)))
            return sorted(f"{u}@{d}" for d, u in rows.all())

    assert await matching("bad.example") == [
        "solo@bad.example", "u0@bad.example", "u1@a.bad.example:8443", "u2@bad.example:80"]
    assert await matching("bad_example") == ["u5@bad_example"]  # `_` is no wildcard

    async with sessionmaker() as session, session.begin():
        await queries.set_domain_silenced(session, "bad.example", BLOCK_TIME)
    async with sessionmaker() as session:
        rows = await session.execute(select(Account.username, Account.silenced_at))
        stamps = {username: at for username, at in rows.all()}
    assert stamps["u0"] == stamps["u1"] == BLOCK_TIME and stamps["solo"] == OTHER_TIME
    assert stamps["u3"] is None and stamps["u7"] is None

    async with sessionmaker() as session, session.begin():
        await queries.clear_domain_silenced(session, "bad.example", BLOCK_TIME)
    async with sessionmaker() as session:
        silenced = (await session.execute(select(Account.username).where(
            Account.silenced_at.is_not(None)))).scalars().all()
    assert list(silenced) == ["solo"]

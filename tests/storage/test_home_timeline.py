"""Home pages come from shortcuts (time windows; on PostgreSQL a merge of each followed
account's own newest entries) that must give exactly the page the plain home query gives,
under every rule the query applies, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from storage import timelines
from storage.database import make_sessionmaker
from storage.ids import new_id
from storage.models import (
    Account,
    AccountList,
    Block,
    Follow,
    ListMember,
    Mention,
    Mute,
    Status,
)
from storage.pagination import Page, finish_page

VISIBILITIES = ["public"] * 6 + ["unlisted", "private", "direct"]


def _account(n: int, **extra: object) -> Account:
    return Account(id=new_id(at=datetime.now(UTC) - timedelta(days=800, seconds=n)),
                   username=f"a{n}", domain=None, uri=f"https://home.test/users/a{n}",
                   inbox_url=f"https://home.test/users/a{n}/inbox", fields=[], **extra)


async def _fill(engine: AsyncEngine) -> tuple[int, list[int]]:
    """A viewer following busy, quiet, boost-hidden, pending, muted, blocked, suspended and
    exclusive-listed accounts, and two years of posts, boosts and replies among everyone;
    returns the viewer's id and every entry id."""
    rng = random.Random(19)
    now = datetime.now(UTC)
    accounts = [_account(n) for n in range(12)]
    accounts.append(_account(12, suspended_at=now))
    viewer, ids = accounts[0], [a.id for a in accounts]
    rows: list[object] = list(accounts)
    # followed: 1-3 busy, 4 quiet, 5 boosts off, 6 pending, 7 muted, 8 blocked, 9 listed
    # (exclusive), 12 suspended; 10 and 11 are strangers.
    for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 12):
        rows.append(Follow(account_id=viewer.id, target_account_id=ids[n],
                           state="pending" if n == 6 else "accepted",
                           show_reblogs=n != 5))
    rows += [Mute(account_id=viewer.id, target_account_id=ids[7]),
             Block(account_id=ids[8], target_account_id=viewer.id)]
    exclusive = AccountList(id=new_id(), account_id=viewer.id, title="close", exclusive=True)
    rows += [exclusive, ListMember(list_id=exclusive.id, account_id=ids[9])]
    statuses: list[Status] = []
    mentions: list[Mention] = []
    for n in range(700):
        at = now - timedelta(days=730 * (1 - n / 700) ** 3)  # denser towards now
        author = rng.choice([0, 1, 1, 2, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12])
        if n % 97 == 0:
            author = 4  # the quiet one
        status = Status(id=new_id(at=at), uri=f"https://home.test/s/{n}",
                        account_id=ids[author], visibility=rng.choice(VISIBILITIES),
                        created_at=at, updated_at=at,
                        pending_approval=rng.random() < 0.03,
                        deleted_at=now if rng.random() < 0.03 else None)
        roll = rng.random()
        if statuses and roll < 0.2:
            status.reblog_of_id = rng.choice(statuses).id
            status.visibility = "public"
        elif statuses and roll < 0.4:
            parent = rng.choice(statuses)
            status.in_reply_to_id = parent.id
            status.in_reply_to_account_id = parent.account_id
        if status.visibility == "direct" and rng.random() < 0.5:
            mentions.append(Mention(status_id=status.id, account_id=viewer.id))
        statuses.append(status)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as session:
        session.add_all(rows)
        await session.flush()
        session.add_all(statuses)
        await session.flush()
        session.add_all(mentions)
    return viewer.id, sorted(s.id for s in statuses)


async def test_home_pages_are_the_plain_query_s_pages(engine: AsyncEngine) -> None:
    viewer, entry_ids = await _fill(engine)
    sessions = make_sessionmaker(engine)
    postgres = engine.dialect.name == "postgresql"
    plain = timelines.home_query(viewer)

    async def both(page: Page) -> list[int]:
        async with sessions() as session:
            expected = await timelines.page_ids(session, plain, page)
            got = [e.entry.id for e in await timelines.home_page(session, viewer, page)]
            assert got == expected, page
            if postgres:
                merged = (await session.execute(timelines.home_merge(viewer, page))).scalars()
                assert finish_page(list(merged), page) == expected, page
        return expected

    # Walk the whole home back, page by page, as a client scrolls.
    walked: list[int] = []
    page = Page(limit=20)
    while ids := await both(page):
        walked += ids
        page = Page(max_id=ids[-1], limit=20)
    assert len(walked) > 100  # the rules leave a real home to walk
    assert walked == sorted(walked, reverse=True)
    # Pages newer than an entry (since_id: the newest; min_id: the next ones up), and
    # pages bounded on both sides.
    for bound in walked[::37]:
        await both(Page(since_id=bound, limit=20))
        await both(Page(min_id=bound, limit=20))
        await both(Page(max_id=bound, since_id=walked[-1], limit=5))
    # Bounds that are not entries of this home (another account's posts).
    for bound in entry_ids[::53]:
        await both(Page(max_id=bound, limit=20))
        await both(Page(min_id=bound, limit=40))

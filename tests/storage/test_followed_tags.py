"""Followed hashtags in home (storage.tag_follows, storage.timelines.followed_tag_post): public
posts carrying a followed tag join the home feed from anyone the viewer may see, and the
home pages' shortcuts (windows; on PostgreSQL the merge) still give the plain query's pages,
on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import statuses as status_queries
from storage import tag_follows, timelines
from storage import tags as tag_queries
from storage.database import make_sessionmaker
from storage.models import Status, StatusTag
from storage.pagination import Page, finish_page
from tests.storage.test_home_timeline import _fill


async def test_followed_tags_bring_public_posts_into_home(engine: AsyncEngine) -> None:
    viewer, entry_ids = await _fill(engine)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as session:
        await status_queries.tag_ids(session, ["sunset", "rain"])
        named = await tag_queries.tag_ids(session, ["sunset", "rain"])
        sunset, rain = named["sunset"], named["rain"]
        rows = (await session.execute(select(Status).where(Status.id.in_(entry_ids)))).scalars()
        # Every third entry carries #sunset, every fifth #rain (not followed).
        for n, status in enumerate(sorted(rows, key=lambda s: s.id)):
            if n % 3 == 0:
                session.add(StatusTag(status_id=status.id, tag_id=sunset))
            if n % 5 == 0:
                session.add(StatusTag(status_id=status.id, tag_id=rain))
    async with sessions() as session:
        before = set(await timelines.page_ids(session, timelines.home_query(viewer),
                                              Page(limit=1000)))
    async with sessions.begin() as session:
        await tag_follows.follow(session, viewer, sunset)
        await tag_follows.follow(session, viewer, sunset)  # again: nothing changes
        assert await tag_follows.following(session, viewer, [sunset, rain]) == {sunset}
        [(_, tag)] = await tag_follows.followed_tags(session, viewer, Page(limit=10))
        assert tag.name == "sunset"
    plain = timelines.home_query(viewer)
    async with sessions() as session:
        after = set(await timelines.page_ids(session, plain, Page(limit=1000)))
        added = after - before
        assert before <= after and added
        kinds = (await session.execute(
            select(Status.visibility, Status.reblog_of_id, Status.account_id)
            .where(Status.id.in_(added)))).all()
        # Only public posts (no boosts), and none by the muted (7), blocking (8) or
        # suspended (12) accounts.
        assert {visibility for visibility, _, _ in kinds} == {"public"}
        assert all(reblog is None for _, reblog, _ in kinds)
        tagged = set((await session.execute(select(StatusTag.status_id).where(
            StatusTag.tag_id == sunset))).scalars())
        assert added <= tagged
        # Strangers' posts are among them (followed authors' posts were in already).
        assert {author for _, _, author in kinds}

    postgres = engine.dialect.name == "postgresql"

    async def both(page: Page) -> list[int]:
        async with sessions() as session:
            expected = await timelines.page_ids(session, plain, page)
            got = [e.entry.id for e in await timelines.home_page(session, viewer, page)]
            assert got == expected, page
            if postgres:
                merged = (await session.execute(
                    timelines.home_merge(viewer, page, tags=True))).scalars()
                assert finish_page(list(merged), page) == expected, page
        return expected

    walked: list[int] = []
    page = Page(limit=20)
    while ids := await both(page):
        walked += ids
        page = Page(max_id=ids[-1], limit=20)
    assert set(walked) == after
    for bound in walked[::41]:
        await both(Page(min_id=bound, limit=20))
        await both(Page(since_id=bound, limit=20))

    async with sessions.begin() as session:
        await tag_follows.unfollow(session, viewer, sunset)
    async with sessions() as session:
        assert set(await timelines.page_ids(session, plain, Page(limit=1000))) == before
        got = [e.entry.id for e in await timelines.home_page(session, viewer, Page(limit=1000))]
        assert set(got) == before

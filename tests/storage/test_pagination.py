"""Mastodon's max_id / since_id / min_id / limit rules over a real table."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import make_sessionmaker
from storage.models import Job
from storage.pagination import InvalidPage, apply_page, finish_page, page_links, parse_page


async def _ids(engine: AsyncEngine, query: dict[str, str]) -> list[int]:
    page = parse_page(query)
    async with make_sessionmaker(engine)() as session:
        rows = (await session.execute(apply_page(select(Job.id), Job.id, page))).scalars().all()
    return finish_page(rows, page)


async def test_pagination_rules(engine: AsyncEngine) -> None:
    async with make_sessionmaker(engine).begin() as session:
        jobs = [Job(kind="k", payload={}) for _ in range(10)]
        session.add_all(jobs)
    ids = sorted(j.id for j in jobs)  # oldest first
    newest_first = ids[::-1]

    assert await _ids(engine, {"limit": "3"}) == newest_first[:3]
    assert await _ids(engine, {"max_id": str(ids[5]), "limit": "3"}) == [ids[4], ids[3], ids[2]]
    # since_id: the newest above the bound; min_id: the ones just above it.
    assert await _ids(engine, {"since_id": str(ids[2]), "limit": "3"}) == newest_first[:3]
    assert await _ids(engine, {"min_id": str(ids[2]), "limit": "3"}) == [ids[5], ids[4], ids[3]]
    assert await _ids(engine, {"max_id": str(ids[6]), "since_id": str(ids[3])}) == [
        ids[5], ids[4]]
    links = page_links(await _ids(engine, {"limit": "2"}))
    assert (links.next_max_id, links.prev_min_id) == (ids[-2], ids[-1])


def test_limit_is_clamped_and_bad_values_rejected() -> None:
    assert parse_page({"limit": "1000"}).limit == 40
    assert parse_page({"limit": "0"}).limit == 1
    assert parse_page({}).limit == 20
    with pytest.raises(InvalidPage, match="limit must be a number"):
        parse_page({"limit": "many"})
    with pytest.raises(InvalidPage, match="max_id must be an id"):
        parse_page({"max_id": "abc"})

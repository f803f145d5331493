"""Queries on followed hashtags (the tag_follows table). Runs inside the caller's
transaction. The tags themselves are storage.statuses.tag_ids' (created on first use)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ids import new_id
from storage.models import Tag, TagFollow
from storage.pagination import Page, apply_page, finish_page
from storage.types import utcnow
from storage.upserts import insert_into


def followed_tag_ids(account_id: Any) -> Select[int]:
    """The tags an account follows, as a subquery for the home feed's rule
    (storage.timelines). `account_id` may be a column of viewer ids: it correlates to it."""
    return (select(TagFollow.tag_id).where(TagFollow.account_id == account_id)
            .correlate_except(TagFollow))


async def follow(session: AsyncSession, account_id: int, tag_id: int) -> None:
    """Follow a tag; following it already changes nothing."""
    await session.execute(
        insert_into(session, TagFollow)
        .values(id=new_id(), account_id=account_id, tag_id=tag_id, created_at=utcnow())
        .on_conflict_do_nothing())


async def unfollow(session: AsyncSession, account_id: int, tag_id: int) -> None:
    await session.execute(delete(TagFollow).where(TagFollow.account_id == account_id,
                                                  TagFollow.tag_id == tag_id))


async def following(session: AsyncSession, account_id: int, tag_ids: Sequence[int]) -> set[int]:
    """Which of these tags the account follows."""
    if not tag_ids:
        return set()
    result = await session.execute(select(TagFollow.tag_id).where(
        TagFollow.account_id == account_id, TagFollow.tag_id.in_(list(tag_ids))))
    return set(result.scalars().all())


async def followed_tags(session: AsyncSession, account_id: int,
                        page: Page) -> list[tuple[int, Tag]]:
    """A page of the account's followed tags, the newest follow first, each with its
    follow's id (the page's cursor: Mastodon pages followed_tags by TagFollow id)."""
    stmt = (select(TagFollow.id, Tag).join(Tag, Tag.id == TagFollow.tag_id)
            .where(TagFollow.account_id == account_id))
    rows = (await session.execute(apply_page(stmt, TagFollow.id, page))).all()
    return finish_page([(follow_id, tag) for follow_id, tag in rows], page)

"""Queries for a post's page beyond its thread: the remix chain above it, the remixes of it,
and who liked and boosted it. Accounts and posts hidden from the viewer (blocks either way,
the viewer's mutes, suspended accounts, posts it may not see) are left out in SQL; the
remixes also leave out the servers the viewer blocks, as Mastodon's quotes list does
(StatusFilter), while who liked or boosted keeps them, as Mastodon's favourited_by and
reblogged_by do (Account.not_excluded_by_account: blocks and mutes only)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.account_domain_blocks import domain_blocked_ids
from storage.models import Account, Favourite, Status
from storage.mutes import muted_ids
from storage.pagination import Page, apply_page, finish_page
from storage.timelines import blocked_ids, chain_up, visible_to
from storage.types import utcnow

# How far up a remix chain the page climbs (each level is one small query).
MAX_REMIX_DEPTH = 5


def _shown_account(column: InstrumentedAttribute[int], viewer_id: int | None, *,
                   domains: bool = False) -> ColumnElement[bool]:
    """The account id column names an account the viewer may see listed: not suspended,
    not blocked either way, not muted by the viewer; with `domains`, not on a server the
    viewer blocks either."""
    clause: ColumnElement[bool] = column.not_in(
        select(Account.id).where(Account.suspended_at.is_not(None)))
    if viewer_id is None:
        return clause
    clause = and_(clause, column.not_in(blocked_ids(viewer_id)),
                  column.not_in(muted_ids(viewer_id, utcnow())))
    return and_(clause, column.not_in(domain_blocked_ids(viewer_id))) if domains else clause


async def remix_parents(session: AsyncSession, status: Status,
                        depth: int = MAX_REMIX_DEPTH) -> list[int]:
    """Ids up the remix chain, nearest first (the post it remixes, then that one's source),
    `depth` at most; a loop stops it. Stored posts only; visibility is checked by the caller."""
    return await chain_up(session, status, Status.remix_of_id, depth)


async def remixes(session: AsyncSession, status_id: int, viewer_id: int | None,
                  limit: int = 12) -> list[int]:
    """Visible remixes of a post, newest first, none from a server the viewer blocks."""
    result = await session.execute(
        select(Status.id).where(Status.remix_of_id == status_id,
                                Status.reblog_of_id.is_(None),
                                visible_to(Status, viewer_id),
                                _shown_account(Status.account_id, viewer_id, domains=True))
        .order_by(Status.id.desc()).limit(limit))
    return list(result.scalars().all())


async def favouriters(session: AsyncSession, status_id: int, viewer_id: int | None,
                      limit: int = 40) -> list[Account]:
    """Accounts known here that liked the post, most recent first."""
    result = await session.execute(
        select(Account).join(Favourite, Favourite.account_id == Account.id)
        .where(Favourite.status_id == status_id, Account.deleted_at.is_(None),
               _shown_account(Account.id, viewer_id))
        .order_by(Favourite.id.desc()).limit(limit))
    return list(result.scalars().all())


async def boosters(session: AsyncSession, status_id: int, viewer_id: int | None,
                   limit: int = 40) -> list[Account]:
    """Accounts known here that boost the post (boosts not taken back), most recent first."""
    result = await session.execute(
        select(Account).join(Status, Status.account_id == Account.id)
        .where(Status.reblog_of_id == status_id, Status.deleted_at.is_(None),
               Account.deleted_at.is_(None), _shown_account(Account.id, viewer_id))
        .order_by(Status.id.desc()).limit(limit))
    return list(result.scalars().all())


async def viewer_actions(session: AsyncSession, status_id: int,
                         account_id: int) -> tuple[bool, bool]:
    """(liked, boosted) by this account."""
    liked = (await session.execute(select(Favourite.id).where(
        Favourite.status_id == status_id, Favourite.account_id == account_id))).first()
    boosted = (await session.execute(select(Status.id).where(
        Status.reblog_of_id == status_id, Status.account_id == account_id,
        Status.deleted_at.is_(None)))).first()
    return liked is not None, boosted is not None


async def shown(session: AsyncSession, status_ids: list[int],
                viewer_id: int | None) -> set[int]:
    """Which of these posts the viewer may see listed (visible, author not hidden)."""
    if not status_ids:
        return set()
    result = await session.execute(select(Status.id).where(
        Status.id.in_(status_ids), Status.reblog_of_id.is_(None),
        visible_to(Status, viewer_id), _shown_account(Status.account_id, viewer_id)))
    return set(result.scalars().all())


async def favouriters_page(session: AsyncSession, status_id: int, viewer_id: int | None,
                           page: Page) -> list[tuple[int, int]]:
    """(favourite id, account id) of who liked the post, newest first, paged by the
    favourite's id (the client API's Link cursors), hidden accounts left out."""
    stmt = (select(Favourite.id, Favourite.account_id)
            .join(Account, Account.id == Favourite.account_id)
            .where(Favourite.status_id == status_id, Account.deleted_at.is_(None),
                   _shown_account(Account.id, viewer_id)))
    rows = (await session.execute(apply_page(stmt, Favourite.id, page))).all()
    return [(row_id, account_id) for row_id, account_id in finish_page(rows, page)]


async def boosters_page(session: AsyncSession, status_id: int, viewer_id: int | None,
                        page: Page) -> list[tuple[int, int]]:
    """(boost id, account id) of who boosts the post, newest first, paged by the boost's
    id, hidden accounts left out."""
    stmt = (select(Status.id, Status.account_id)
            .join(Account, Account.id == Status.account_id)
            .where(Status.reblog_of_id == status_id, Status.deleted_at.is_(None),
                   Account.deleted_at.is_(None), _shown_account(Account.id, viewer_id)))
    rows = (await session.execute(apply_page(stmt, Status.id, page))).all()
    return [(row_id, account_id) for row_id, account_id in finish_page(rows, page)]

"""Whether a timeline holds one entry: the live web app asks it of each new post, and the
streaming API asks it for every viewer a web process streams to.

The timelines' own queries (storage/timelines.py) answer, not a copy of their rules. For many
viewers the query is built once over a column of viewer ids and asked in one EXISTS per
viewer row, so a statement's shape (and its one compiled form in SQLAlchemy's cache) is the
same whether ten viewers or ten thousand are asked, and the database does the looping.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Account, AccountList, Status
from storage.timelines import list_query

# Viewer ids bound in one statement (an expanding IN: well under SQLite's and asyncpg's
# bound-parameter limits).
_CHUNK = 1000


async def includes(session: AsyncSession, stmt: Select[int], status_id: int) -> bool:
    """Whether a timeline's query (home_query, local_query...) holds this entry."""
    found = await session.execute(stmt.where(Status.id == status_id).limit(1))
    return found.first() is not None


async def viewers_holding(session: AsyncSession,
                          timeline: Callable[[ColumnElement[int]], Select[int]],
                          viewer_ids: Sequence[int], status_id: int) -> set[int]:
    """The viewers whose timeline (`timeline(viewer_id)`: home_query, federated_query...)
    holds this entry."""
    viewer = aliased(Account, name="viewer")
    held: set[int] = set()
    ids = sorted(set(viewer_ids))
    for start in range(0, len(ids), _CHUNK):
        stmt = select(viewer.id).where(
            viewer.id.in_(ids[start:start + _CHUNK]),
            timeline(viewer.id.expression).where(Status.id == status_id).exists())
        held.update((await session.execute(stmt)).scalars().all())
    return held


async def lists_holding(session: AsyncSession, list_ids: Sequence[int],
                        status_id: int) -> set[int]:
    """The lists (each under its owner's view and its replies policy) that hold this entry;
    a list deleted since is in none."""
    ids = sorted(set(list_ids))
    held: set[int] = set()
    listed = aliased(AccountList, name="listed")
    policies = (await session.execute(select(listed.replies_policy).distinct()
                                      .where(listed.id.in_(ids)))).scalars().all()
    for policy in policies:
        for start in range(0, len(ids), _CHUNK):
            stmt = select(listed.id).where(
                listed.id.in_(ids[start:start + _CHUNK]), listed.replies_policy == policy,
                list_query(listed.id.expression, listed.account_id.expression, policy)
                .where(Status.id == status_id).exists())
            held.update((await session.execute(stmt)).scalars().all())
    return held

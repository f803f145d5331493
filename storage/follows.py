"""Queries on follows (and follow requests) between accounts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, Follow
from storage.pagination import Page, apply_page, finish_page
from storage.timelines import blocked_ids, muted_ids


async def follow_between(session: AsyncSession, account_id: int,
                         target_account_id: int) -> Follow | None:
    result = await session.execute(select(Follow).where(
        Follow.account_id == account_id, Follow.target_account_id == target_account_id))
    return result.scalar_one_or_none()


async def followers_among(session: AsyncSession, account_id: int,
                          candidate_ids: Sequence[int]) -> set[int]:
    """Which of these accounts follow `account_id` (accepted)."""
    if not candidate_ids:
        return set()
    result = await session.execute(select(Follow.account_id).where(
        Follow.target_account_id == account_id, Follow.state == "accepted",
        Follow.account_id.in_(list(candidate_ids))))
    return set(result.scalars().all())


async def follow_by_uri(session: AsyncSession, uri: str) -> Follow | None:
    result = await session.execute(select(Follow).where(Follow.uri == uri))
    return result.scalar_one_or_none()


async def delete_follow(session: AsyncSession, follow_id: int) -> None:
    await session.execute(delete(Follow).where(Follow.id == follow_id))


async def delete_follows_involving(session: AsyncSession, account_id: int) -> None:
    await session.execute(delete(Follow).where(
        (Follow.account_id == account_id) | (Follow.target_account_id == account_id)))


async def count_followers(session: AsyncSession, account_id: int) -> int:
    result = await session.execute(select(func.count()).select_from(Follow).where(
        Follow.target_account_id == account_id, Follow.state == "accepted"))
    return int(result.scalar_one())


async def count_following(session: AsyncSession, account_id: int) -> int:
    result = await session.execute(select(func.count()).select_from(Follow).where(
        Follow.account_id == account_id, Follow.state == "accepted"))
    return int(result.scalar_one())


async def followers_page(session: AsyncSession, account_id: int, page: Page,
                         state: str = "accepted") -> list[tuple[Follow, Account]]:
    """Accounts following `account_id`, newest follow first, paginated by follow id."""
    stmt = (select(Follow, Account).join(Account, Account.id == Follow.account_id)
            .where(Follow.target_account_id == account_id, Follow.state == state))
    rows = [(f, a) for f, a in (await session.execute(apply_page(stmt, Follow.id, page))).all()]
    return finish_page(list(rows), page)


async def following_page(session: AsyncSession, account_id: int, page: Page
                         ) -> list[tuple[Follow, Account]]:
    stmt = (select(Follow, Account).join(Account, Account.id == Follow.target_account_id)
            .where(Follow.account_id == account_id, Follow.state == "accepted"))
    rows = [(f, a) for f, a in (await session.execute(apply_page(stmt, Follow.id, page))).all()]
    return finish_page(list(rows), page)


async def follower_inboxes(session: AsyncSession, account_id: int) -> Sequence[str]:
    """Distinct inboxes of remote followers, shared inbox preferred (one POST per server)."""
    inbox = func.coalesce(Account.shared_inbox_url, Account.inbox_url)
    result = await session.execute(
        select(inbox).distinct().join(Follow, Follow.account_id == Account.id)
        .where(Follow.target_account_id == account_id, Follow.state == "accepted",
               Account.domain.is_not(None), Account.deleted_at.is_(None)))
    return [row for row in result.scalars().all() if row]


async def all_follows_of(session: AsyncSession, account_id: int) -> list[tuple[Follow, Account]]:
    """Every follow row touching the account, paired with the account on the other side."""
    other_id = case((Follow.account_id == account_id, Follow.target_account_id),
                    else_=Follow.account_id)
    result = await session.execute(
        select(Follow, Account).join(Account, Account.id == other_id)
        .where((Follow.account_id == account_id) | (Follow.target_account_id == account_id))
        .order_by(Follow.id))
    return [(follow, other) for follow, other in result.all()]


async def has_follow_involving(session: AsyncSession, account_uri: str) -> bool:
    """Whether the account with this actor id follows or is followed by anyone here."""
    account_id = select(Account.id).where(Account.uri == account_uri).scalar_subquery()
    result = await session.execute(select(func.count()).select_from(Follow).where(
        (Follow.account_id == account_id) | (Follow.target_account_id == account_id)))
    return int(result.scalar_one()) > 0


async def follows_between(session: AsyncSession, a: int, b: int) -> list[Follow]:
    """Every follow or follow request between two accounts, either way."""
    result = await session.execute(select(Follow).where(or_(
        (Follow.account_id == a) & (Follow.target_account_id == b),
        (Follow.account_id == b) & (Follow.target_account_id == a))).order_by(Follow.id))
    return list(result.scalars().all())


async def follows_with_domain(session: AsyncSession, account_id: int,
                              domain: str) -> list[tuple[Follow, Account]]:
    """Every follow or follow request between `account_id` and the accounts on `domain`,
    either way, with that other account."""
    other = case((Follow.account_id == account_id, Follow.target_account_id),
                 else_=Follow.account_id)
    result = await session.execute(
        select(Follow, Account).join(Account, Account.id == other)
        .where(or_(Follow.account_id == account_id, Follow.target_account_id == account_id),
               Account.domain == domain).order_by(Follow.id))
    return [(follow, account) for follow, account in result.all()]


async def delete_follows(session: AsyncSession, follow_ids: list[int]) -> None:
    if follow_ids:
        await session.execute(delete(Follow).where(Follow.id.in_(follow_ids)))


async def followed_locally(session: AsyncSession, account_id: int) -> bool:
    """Whether any local account follows this one (an accepted follow)."""
    result = await session.execute(
        select(Follow.id).join(Account, Account.id == Follow.account_id)
        .where(Follow.target_account_id == account_id, Follow.state == "accepted",
               Account.domain.is_(None)).limit(1))
    return result.first() is not None


async def follows_from(session: AsyncSession, account_id: int,
                       target_ids: Sequence[int]) -> dict[int, Follow]:
    """`account_id`'s follows and follow requests of these accounts, by target."""
    if not target_ids:
        return {}
    result = await session.execute(select(Follow).where(
        Follow.account_id == account_id, Follow.target_account_id.in_(list(set(target_ids)))))
    return {row.target_account_id: row for row in result.scalars().all()}


async def follows_to(session: AsyncSession, target_id: int,
                     account_ids: Sequence[int]) -> dict[int, Follow]:
    """These accounts' follows and follow requests of `target_id`, by follower."""
    if not account_ids:
        return {}
    result = await session.execute(select(Follow).where(
        Follow.target_account_id == target_id, Follow.account_id.in_(list(set(account_ids)))))
    return {row.account_id: row for row in result.scalars().all()}


async def count_requests(session: AsyncSession, account_id: int) -> int:
    """Follow requests waiting for `account_id`'s answer."""
    result = await session.execute(select(func.count()).select_from(Follow).where(
        Follow.target_account_id == account_id, Follow.state == "pending"))
    return int(result.scalar_one())


async def follow_page(session: AsyncSession, account_id: int, direction: str, page: Page, *,
                      state: str = "accepted",
                      hidden_for: int | None = None) -> list[tuple[int, int]]:
    """(follow id, other account id) pairs of `account_id`'s followers (direction
    "followers") or followed accounts ("following"), newest follow first, paginated by
    follow id. Unavailable accounts (suspended, deleted) are left out, and with
    `hidden_for` the accounts that viewer blocks, is blocked by or mutes."""
    mine, other = ((Follow.target_account_id, Follow.account_id) if direction == "followers"
                   else (Follow.account_id, Follow.target_account_id))
    stmt = (select(Follow.id, other).join(Account, Account.id == other)
            .where(mine == account_id, Follow.state == state,
                   Account.suspended_at.is_(None), Account.deleted_at.is_(None)))
    if hidden_for is not None:
        stmt = stmt.where(other.not_in(blocked_ids(hidden_for)),
                          other.not_in(muted_ids(hidden_for)))
    rows = (await session.execute(apply_page(stmt, Follow.id, page))).all()
    return finish_page([(follow_id, other_id) for follow_id, other_id in rows], page)


async def familiar_followers(session: AsyncSession, viewer_id: int,
                             target_ids: Sequence[int]) -> dict[int, list[int]]:
    """For each target: the accounts `viewer_id` follows that follow it (accepted both),
    oldest follow first."""
    if not target_ids:
        return {}
    followed = select(Follow.target_account_id).where(Follow.account_id == viewer_id,
                                                      Follow.state == "accepted")
    result = await session.execute(
        select(Follow.target_account_id, Follow.account_id)
        .join(Account, Account.id == Follow.account_id)
        .where(Follow.target_account_id.in_(list(set(target_ids))),
               Follow.state == "accepted", Follow.account_id.in_(followed),
               Follow.account_id != viewer_id,
               Account.suspended_at.is_(None), Account.deleted_at.is_(None))
        .order_by(Follow.id))
    found: dict[int, list[int]] = {}
    for target_id, follower_id in result.all():
        found.setdefault(target_id, []).append(follower_id)
    return found

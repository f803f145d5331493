"""Who to follow: local accounts a viewer does not follow yet, the most followed first (the
web app's right column)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, Block, Follow, Mute, User


async def accounts_to_follow(session: AsyncSession, viewer_id: int | None,
                             limit: int) -> list[Account]:
    """Local people (approved, discoverable, open to followers, not suspended, deleted or
    moved), the most followed first, then the newest; without the viewer, whom it follows
    or asked to, and anyone it blocks, mutes or is blocked by."""
    followers = (select(func.count()).select_from(Follow)
                 .where(Follow.target_account_id == Account.id, Follow.state == "accepted")
                 .correlate(Account).scalar_subquery())
    stmt = (select(Account)
            .join(User, User.account_id == Account.id)
            .where(Account.domain.is_(None), Account.actor_type == "Person",
                   Account.discoverable.is_(True), Account.suspended_at.is_(None),
                   Account.deleted_at.is_(None), Account.moved_to_uri.is_(None),
                   # One press follows: accounts that approve followers are left out.
                   Account.manually_approves_followers.is_(False), User.approved.is_(True))
            .order_by(followers.desc(), Account.id.desc())
            .limit(limit))
    if viewer_id is not None:
        stmt = stmt.where(
            Account.id != viewer_id,
            Account.id.not_in(select(Follow.target_account_id)
                              .where(Follow.account_id == viewer_id)),
            Account.id.not_in(select(Mute.target_account_id).where(Mute.account_id == viewer_id)),
            Account.id.not_in(select(Block.target_account_id)
                              .where(Block.account_id == viewer_id)),
            Account.id.not_in(select(Block.account_id)
                              .where(Block.target_account_id == viewer_id)))
    return list((await session.execute(stmt)).scalars().all())


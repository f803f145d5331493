"""SQL for reports (a user's or a remote server's) and the statuses they may name. Runs
inside the caller's transaction and never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Account, Follow, Mention, Report, Status, User
from storage.pagination import Page, apply_page, finish_page

OPEN, RESOLVED = "open", "resolved"


@dataclass(frozen=True)
class ReportRow:
    report: Report
    reporter: Account
    target: Account


async def add(session: AsyncSession, **values: object) -> Report:
    report = Report(**values)
    session.add(report)
    await session.flush()
    return report


async def by_id(session: AsyncSession, report_id: int) -> Report | None:
    return await session.get(Report, report_id)


async def by_uri(session: AsyncSession, uri: str) -> Report | None:
    result = await session.execute(select(Report).where(Report.uri == uri))
    return result.scalar_one_or_none()


async def has_open_sibling(session: AsyncSession, report: Report) -> bool:
    """Another open report on the same account (Mastodon's `unresolved_siblings?`)."""
    result = await session.execute(select(Report.id).where(
        Report.target_account_id == report.target_account_id, Report.id != report.id,
        Report.state == OPEN).limit(1))
    return result.first() is not None


async def admin_account_ids(session: AsyncSession) -> list[int]:
    """Local admins whose accounts are usable (not suspended, not deleted)."""
    result = await session.execute(
        select(User.account_id).join(Account, Account.id == User.account_id)
        .where(User.admin.is_(True), Account.suspended_at.is_(None),
               Account.deleted_at.is_(None)))
    return list(result.scalars().all())


async def page(session: AsyncSession, page_: Page, *, state: str | None) -> list[ReportRow]:
    """Newest first, with reporter and target; `state` None means all."""
    reporter, target = aliased(Account), aliased(Account)
    stmt = (select(Report, reporter, target)
            .join(reporter, reporter.id == Report.account_id)
            .join(target, target.id == Report.target_account_id))
    if state is not None:
        stmt = stmt.where(Report.state == state)
    rows = (await session.execute(apply_page(stmt, Report.id, page_))).all()
    return finish_page([ReportRow(r, a, t) for r, a, t in rows], page_)


async def row(session: AsyncSession, report_id: int) -> ReportRow | None:
    reporter, target = aliased(Account), aliased(Account)
    result = await session.execute(
        select(Report, reporter, target)
        .join(reporter, reporter.id == Report.account_id)
        .join(target, target.id == Report.target_account_id)
        .where(Report.id == report_id))
    found = result.first()
    return None if found is None else ReportRow(*found)


async def statuses(session: AsyncSession, status_ids: Sequence[int]) -> list[Status]:
    if not status_ids:
        return []
    result = await session.execute(select(Status).where(Status.id.in_(list(status_ids)))
                                   .order_by(Status.id))
    return list(result.scalars().all())


async def statuses_by_uri(session: AsyncSession, uris: Sequence[str]) -> list[Status]:
    if not uris:
        return []
    result = await session.execute(select(Status).where(Status.uri.in_(list(uris))))
    return list(result.scalars().all())


async def accounts_by_uri(session: AsyncSession, uris: Sequence[str]) -> list[Account]:
    if not uris:
        return []
    result = await session.execute(select(Account).where(Account.uri.in_(list(uris))))
    return list(result.scalars().all())


async def reportable_by_local(session: AsyncSession, target_id: int,
                              status_ids: Sequence[int], reporter_id: int) -> list[int]:
    """Of `status_ids`, the target's posts (not boosts) the local reporter may see:
    public/unlisted, followers-only when the reporter follows, or mentioning the reporter.
    Deleted ones too, and blocks do not hide them: people block and then report."""
    if not status_ids:
        return []
    follows = select(Follow.id).where(Follow.account_id == reporter_id,
                                      Follow.target_account_id == target_id,
                                      Follow.state == "accepted").exists()
    mentioned = exists().where(Mention.status_id == Status.id,
                               Mention.account_id == reporter_id)
    result = await session.execute(select(Status.id).where(
        Status.id.in_(list(status_ids)), Status.account_id == target_id,
        Status.reblog_of_id.is_(None),
        or_(Status.visibility.in_(("public", "unlisted")),
            and_(Status.visibility == "private", follows), mentioned)))
    return sorted(result.scalars().all())


async def reportable_by_domain(session: AsyncSession, target_id: int,
                               status_ids: Sequence[int], domain: str) -> list[int]:
    """Of `status_ids`, the target's posts a remote server may name in a Flag (Mastodon's
    ReportService#reported_status_ids for remote reporters, who are anonymized): public or
    unlisted; followers-only when that server hosts followers of the target; any post that
    mentions someone there."""
    if not status_ids:
        return []
    lowered = domain.lower()
    has_followers = (await session.execute(
        select(Follow.id).join(Account, Account.id == Follow.account_id)
        .where(Follow.target_account_id == target_id, Follow.state == "accepted",
               func.lower(Account.domain) == lowered).limit(1))).first() is not None
    visibilities = ("public", "unlisted", "private") if has_followers \
        else ("public", "unlisted")
    mentioned = exists().where(Mention.status_id == Status.id,
                               Mention.account_id == Account.id,
                               func.lower(Account.domain) == lowered)
    result = await session.execute(select(Status.id).where(
        Status.id.in_(list(status_ids)), Status.account_id == target_id,
        Status.reblog_of_id.is_(None),
        or_(Status.visibility.in_(visibilities), mentioned)))
    return sorted(result.scalars().all())

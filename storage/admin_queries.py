"""Queries behind the web admin area: counts for the dashboard, account search, the users
whose generation is switched off, and names for audit entries. Runs inside the caller's
session and never commits. (Moderation changes themselves live in their own modules.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, AuditEntry, DomainBlock, Report, User
from storage.pagination import Page, apply_page, finish_page

LOCAL, REMOTE = "local", "remote"
SUSPENDED, SILENCED, PENDING, NO_GENERATION = "suspended", "silenced", "pending", \
    "generation_disabled"
ORIGINS = (LOCAL, REMOTE)
STATES = (SUSPENDED, SILENCED, PENDING, NO_GENERATION)


@dataclass(frozen=True)
class Counts:
    open_reports: int
    pending_sign_ups: int
    domain_blocks: int


@dataclass(frozen=True)
class AccountRow:
    account: Account
    user: User | None  # local accounts with a login


async def counts(session: AsyncSession) -> Counts:
    reports = await session.scalar(select(func.count()).select_from(Report)
                                   .where(Report.state == "open"))
    pending = await session.scalar(
        select(func.count()).select_from(User).join(Account, Account.id == User.account_id)
        .where(User.approved.is_(False), Account.deleted_at.is_(None)))
    blocks = await session.scalar(select(func.count()).select_from(DomainBlock))
    return Counts(int(reports or 0), int(pending or 0), int(blocks or 0))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _matches(text: str) -> ColumnElement[bool] | None:
    """`alice`, `@alice@host`, `host` or part of a display name; user@host matches both."""
    text = text.strip().lstrip("@")
    if not text:
        return None
    username, at, domain = text.partition("@")
    if at:
        name_match = func.lower(Account.username).like(_like(username), escape="\\")
        if not domain:
            return name_match
        return and_(name_match, func.lower(func.coalesce(Account.domain, ""))
                    .like(_like(domain), escape="\\"))
    pattern = _like(text)
    return or_(func.lower(Account.username).like(pattern, escape="\\"),
               func.lower(Account.domain).like(pattern, escape="\\"),
               func.lower(Account.display_name).like(pattern, escape="\\"))


async def search_accounts(session: AsyncSession, page: Page, *, text: str = "",
                          origin: str | None = None,
                          state: str | None = None) -> list[AccountRow]:
    """Accounts newest first (the instance actor left out), with their login if local."""
    stmt = (select(Account, User).outerjoin(User, User.account_id == Account.id)
            .where(Account.actor_type != "Application"))
    match = _matches(text)
    if match is not None:
        stmt = stmt.where(match)
    if origin == LOCAL:
        stmt = stmt.where(Account.domain.is_(None))
    elif origin == REMOTE:
        stmt = stmt.where(Account.domain.is_not(None))
    if state == SUSPENDED:
        stmt = stmt.where(Account.suspended_at.is_not(None))
    elif state == SILENCED:
        stmt = stmt.where(Account.silenced_at.is_not(None))
    elif state == PENDING:
        stmt = stmt.where(User.approved.is_(False))
    elif state == NO_GENERATION:
        stmt = stmt.where(User.generation_disabled.is_(True))
    rows = (await session.execute(apply_page(stmt, Account.id, page))).all()
    return finish_page([AccountRow(a, u) for a, u in rows], page)


async def account_row(session: AsyncSession, account_id: int) -> AccountRow | None:
    found = (await session.execute(
        select(Account, User).outerjoin(User, User.account_id == Account.id)
        .where(Account.id == account_id, Account.actor_type != "Application"))).first()
    return None if found is None else AccountRow(found[0], found[1])


async def generation_disabled_users(session: AsyncSession) -> list[AccountRow]:
    rows = await session.execute(
        select(Account, User).join(User, User.account_id == Account.id)
        .where(User.generation_disabled.is_(True), Account.deleted_at.is_(None))
        .order_by(Account.username))
    return [AccountRow(a, u) for a, u in rows.all()]


async def accounts_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Account]:
    if not ids:
        return {}
    rows = await session.execute(select(Account).where(Account.id.in_(list(set(ids)))))
    return {a.id: a for a in rows.scalars().all()}


async def entries_about(session: AsyncSession, target_type: str, targets: Sequence[str],
                        limit: int) -> list[AuditEntry]:
    """The latest audit entries naming one of `targets`, newest first."""
    if not targets:
        return []
    rows = await session.execute(
        select(AuditEntry).where(AuditEntry.target_type == target_type,
                                 AuditEntry.target.in_(list(targets)))
        .order_by(AuditEntry.id.desc()).limit(limit))
    return list(rows.scalars().all())


async def report_counts_about(session: AsyncSession, account_id: int) -> tuple[int, int]:
    """(open, all) reports about an account."""
    rows = await session.execute(
        select(Report.state, func.count()).where(Report.target_account_id == account_id)
        .group_by(Report.state))
    by_state = {state: int(n) for state, n in rows.all()}
    return by_state.get("open", 0), sum(by_state.values())

"""What the web admin area reads: dashboard counts, account search and account pages, report
pages with their accounts, the generation overview and the audit log with names.

Changes never happen here: the admin pages call the same services as `dreamfeed admin ...`
(moderation, account_moderation, reports, registrations, prompt_moderation, dead_letters),
so an action is checked and audited the same way from either side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.services.context import Services
from server.services.errors import NotFound
from server.services.generation import prompt_moderation
from server.services.generation.prompt_moderation import RefusalReport
from server.services.moderation import account_moderation, reports
from server.services.moderation.account_moderation import AccountState
from server.services.moderation.reports import ReportView
from storage import accounts as account_queries
from storage import admin_queries as queries
from storage import audit
from storage import jobs as job_store
from storage.database import Database
from storage.models import Account, AuditEntry, User
from storage.pagination import Page

ACCOUNT_AUDIT = 30
REFUSALS = 30
# The account list's filters: where (local, remote) and which state.
ORIGINS, STATES = queries.ORIGINS, queries.STATES


@dataclass(frozen=True)
class Dashboard:
    open_reports: int
    pending_sign_ups: int
    dead_jobs: int
    queued_jobs: int
    domain_blocks: int


@dataclass(frozen=True)
class AccountSummary:
    id: int
    handle: str  # user@host, for the local ones too
    username: str
    uri: str  # the actor: how account actions name it
    display_name: str
    local: bool
    profile_path: str  # the account's page in the web app
    admin: bool
    approved: bool
    generation_disabled: bool
    suspended_at: datetime | None
    silenced_at: datetime | None
    deleted_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class AuditView:
    id: int
    created_at: datetime
    actor: str  # "@name", or the operator at the command line
    action: str
    target_type: str
    target: str
    detail: dict[str, Any]
    link: str | None  # an admin page about the target


@dataclass(frozen=True)
class AccountPage:
    account: AccountSummary
    state: AccountState
    open_reports: int
    all_reports: int
    audit: list[AuditView]


@dataclass(frozen=True)
class ReportPage:
    report: ReportView
    reporter: AccountSummary | None
    target: AccountSummary | None


def profile_path(account: Account) -> str:
    if account.domain is None:
        return f"/@{account.username}"
    return f"/@{account.username}@{account.domain}"


def _summary(services: Services, account: Account, user: User | None) -> AccountSummary:
    return AccountSummary(
        id=account.id, handle=account_moderation.handle_of(account, services),
        username=account.username, uri=account.uri, display_name=account.display_name,
        local=account.is_local, profile_path=profile_path(account),
        admin=bool(user and user.admin), approved=user is None or user.approved,
        generation_disabled=bool(user and user.generation_disabled),
        suspended_at=account.suspended_at, silenced_at=account.silenced_at,
        deleted_at=account.deleted_at, created_at=account.created_at)


async def dashboard(services: Services) -> Dashboard:
    async with services.db.reader() as session:
        counts = await queries.counts(session)
        jobs = await job_store.count_jobs_by_state(session)
    return Dashboard(open_reports=counts.open_reports,
                     pending_sign_ups=counts.pending_sign_ups, dead_jobs=jobs[job_store.DEAD],
                     queued_jobs=jobs[job_store.QUEUED], domain_blocks=counts.domain_blocks)


# --- accounts ------------------------------------------------------------------------------


async def find_accounts(services: Services, page: Page, *, text: str = "",
                        origin: str | None = None,
                        state: str | None = None) -> list[AccountSummary]:
    origin = origin if origin in queries.ORIGINS else None
    state = state if state in queries.STATES else None
    async with services.db.reader() as session:
        rows = await queries.search_accounts(session, page, text=text[:200], origin=origin,
                                             state=state)
    return [_summary(services, row.account, row.user) for row in rows]


async def account_summary(services: Services, account_id: int) -> AccountSummary:
    async with services.db.reader() as session:
        row = await queries.account_row(session, account_id)
    if row is None:
        raise NotFound(N_("there is no account %(account_id)s"), account_id=account_id)
    return _summary(services, row.account, row.user)


async def account_page(services: Services, account_id: int) -> AccountPage:
    summary = await account_summary(services, account_id)
    async with services.db.reader() as session:
        account = await account_queries.account_by_id(session, account_id)
        assert account is not None  # account_summary found it
        open_reports, all_reports = await queries.report_counts_about(session, account_id)
        # account.* entries name the handle; registration.* and generation.* the username.
        targets = [summary.handle] + ([summary.username] if summary.local else [])
        entries = await queries.entries_about(session, "account", targets, ACCOUNT_AUDIT)
    state = await account_moderation.show(services, account.uri)
    return AccountPage(summary, state, open_reports, all_reports,
                       await _audit_views(services, entries))


# --- reports -------------------------------------------------------------------------------


async def report_page(services: Services, report_id: int) -> ReportPage:
    view = await reports.get_report(services, report_id)
    username, _, domain = view.reporter.partition("@")
    async with services.db.reader() as session:
        target_account = await account_queries.account_by_uri(session, view.target_uri)
        reporter_account = await _by_handle(services, session, username, domain)
        target_row = None if target_account is None else \
            await queries.account_row(session, target_account.id)
        reporter_row = None if reporter_account is None else \
            await queries.account_row(session, reporter_account.id)
    return ReportPage(
        view,
        None if reporter_row is None else _summary(services, reporter_row.account,
                                                   reporter_row.user),
        None if target_row is None else _summary(services, target_row.account,
                                                 target_row.user))


async def _by_handle(services: Services, session: AsyncSession, username: str,
                     domain: str) -> Account | None:
    if domain.lower() == services.config.instance.domain.lower():
        return await account_queries.local_account_by_username(session, username)
    return await account_queries.remote_account_by_handle(session, username, domain)


# --- generation ------------------------------------------------------------------------------


async def generation_overview(services: Services) -> tuple[list[AccountSummary],
                                                           RefusalReport]:
    """Users whose generation is switched off, and refused prompts (what
    `dreamfeed admin generation refusals` prints)."""
    async with services.db.reader() as session:
        rows = await queries.generation_disabled_users(session)
    refusals = await prompt_moderation.refusals(services.db, username=None, limit=REFUSALS)
    return [_summary(services, r.account, r.user) for r in rows], refusals


# --- the audit log ---------------------------------------------------------------------------


async def audit_log(services: Services, page: Page, *,
                    action: str | None = None) -> list[AuditView]:
    entries = await audit_entries(services.db, page, action=action or None)
    return await _audit_views(services, entries)


async def audit_entries(db: Database, page: Page, *,
                        action: str | None = None) -> list[AuditEntry]:
    """The audit log as stored, newest first (the command line prints it as it is)."""
    async with db.reader() as session:
        return list(await audit.entries(session, page, action=action))


async def _audit_views(services: Services, entries: list[AuditEntry]) -> list[AuditView]:
    ids = [e.account_id for e in entries if e.account_id is not None]
    async with services.db.reader() as session:
        actors = await queries.accounts_by_ids(session, ids)
    views = []
    for entry in entries:
        actor = "operator (command line)"
        if entry.account_id is not None:
            found = actors.get(entry.account_id)
            actor = f"@{found.username}" if found is not None else f"account {entry.account_id}"
        views.append(AuditView(
            id=entry.id, created_at=entry.created_at, actor=actor, action=entry.action,
            target_type=entry.target_type, target=entry.target, detail=entry.detail or {},
            link=_link(entry)))
    return views


def _link(entry: AuditEntry) -> str | None:
    kind = entry.target_type
    if kind == "report" and entry.target.isdigit():
        return f"/admin/reports/{entry.target}"
    if kind == "domain":
        return "/admin/domains"
    if kind == "invite":
        return "/admin/invites"
    if kind == "job":
        return "/admin/deliveries"
    if kind == "account":
        return f"/admin/accounts?q={quote(entry.target, safe='@')}"
    return None

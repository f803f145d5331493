"""Reports: a local user reports an account (and some of its posts) to the admins here, and,
when asked, to the account's own server as an ActivityPub `Flag`; remote servers' Flags about
our accounts arrive through server.services.federation.inbound.inbox_apply.

Shapes and rules follow Mastodon (app/services/report_service.rb,
report_forwarding_service.rb, app/serializers/activitypub/flag_serializer.rb,
app/lib/activitypub/activity/flag.rb):
- a forwarded Flag is sent by the instance actor (`Account.representative`), never by the
  reporter, so the remote server does not learn who reported; it goes to the reported
  account's inbox; `object` is [account, posts...], `content` the comment;
- an incoming Flag makes one report per local account it names, with the named posts of that
  account the remote server may have seen; its id is kept when it is on the sender's origin;
- admins are notified, unless the account already has an open report (`unresolved_siblings?`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.parse import ParsedActivity, clean_text, object_id, same_origin
from server.i18n import N_
from server.render import to_activitypub
from server.render.sanitize import plain_text
from server.services.context import Services
from server.services.errors import Conflict, Dropped, InvalidInput, NotFound
from server.services.federation.outbound import delivery
from server.services.federation.remote import RemoteError, account_for_uri, resolve_account
from server.services.social import notifications
from server.services.social.follows import handle_of
from storage import accounts as account_queries
from storage import audit
from storage import reports as report_queries
from storage.models import Account, Report
from storage.pagination import Page
from storage.reports import OPEN, RESOLVED, ReportRow
from storage.types import utcnow

CATEGORIES = ("spam", "legal", "violation", "other")
STATES = (OPEN, RESOLVED)
# Mastodon's Report::COMMENT_SIZE_LIMIT for local reports; Flags are cut at 5000.
MAX_COMMENT = 1000
MAX_REMOTE_COMMENT = 5000
MAX_STATUSES = 100
EXCERPT = 500


@dataclass(frozen=True)
class ReportedPost:
    id: int
    uri: str
    text: str
    deleted: bool


@dataclass(frozen=True)
class ReportView:
    id: int
    reporter: str  # user@host
    target: str
    target_uri: str
    category: str
    comment: str
    state: str
    status_ids: tuple[int, ...]
    forward: bool
    forwarded_at: datetime | None
    uri: str | None
    created_at: datetime
    resolved_at: datetime | None
    resolution_note: str
    posts: tuple[ReportedPost, ...] = ()


# --- a local user reports ----------------------------------------------------------------


async def create_report(services: Services, username: str, handle: str, *,
                        status_ids: list[int] | None = None, comment: str = "",
                        category: str = "other", forward: bool = False) -> ReportView:
    """`username` (local) reports `handle` (user@host or actor URL). With `forward` and a
    remote account, a Flag goes to its server, from the instance actor."""
    if category not in CATEGORIES:
        raise InvalidInput(N_("category must be one of %(categories)s, not %(category)r"),
                           categories=", ".join(CATEGORIES), category=category)
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(N_("the comment is %(length)s characters; at most %(limit)s are "
                              "allowed"), length=len(comment), limit=MAX_COMMENT)
    wanted = sorted(set(status_ids or []))
    if len(wanted) > MAX_STATUSES:
        raise InvalidInput(N_("at most %(limit)s posts can be reported at once"),
                           limit=MAX_STATUSES)
    target = await resolve_account(services, handle)
    async with services.db.writer.begin() as session:
        reporter = await _local_reporter(session, username)
        target = await account_queries.account_by_id(session, target.id) or target
        if target.id == reporter.id:
            raise InvalidInput(N_("an account cannot report itself"))
        if _unavailable(target):
            raise NotFound(N_("%(handle)s is suspended or deleted: there is nothing to report"),
                           handle=handle)
        found = await report_queries.reportable_by_local(session, target.id, wanted,
                                                         reporter.id)
        missing = sorted(set(wanted) - set(found))
        if missing:
            raise NotFound(N_("no post %(ids)s by %(handle)s that %(username)s can see"),
                           ids=", ".join(map(str, missing)), handle=handle, username=username)
        report = await report_queries.add(
            session, account_id=reporter.id, target_account_id=target.id, status_ids=found,
            comment=comment, category=category, forward=forward and not target.is_local)
        await _notify_admins(session, report)
        if report.forward:
            await _send_flag(services, session, report, target)
        return await _view(services, session, report.id)


async def _local_reporter(session: AsyncSession, username: str) -> Account:
    account = await account_queries.local_account_by_username(session, username)
    if account is None or account.actor_type == "Application" or account.deleted_at:
        raise NotFound(N_("no local account named %(username)r"), username=username)
    if account.suspended_at is not None:
        raise Conflict(N_("%(username)s is suspended and cannot report"), username=username)
    return account


def _unavailable(account: Account) -> bool:
    return account.suspended_at is not None or account.deleted_at is not None


async def _notify_admins(session: AsyncSession, report: Report) -> None:
    if await report_queries.has_open_sibling(session, report):
        return  # the admins already have an open report on this account to look at
    admins = await report_queries.admin_account_ids(session)
    await notifications.notify_report(session, admins, report.account_id)


async def _send_flag(services: Services, session: AsyncSession, report: Report,
                     target: Account) -> None:
    """Queue the Flag to the reported account's inbox (Mastodon's forward_to_origin!)."""
    posts = await report_queries.statuses(session, report.status_ids)
    if report.uri is None:
        # Not dereferenceable, like Mastodon's `/payloads/<uuid>` ids for Flags.
        report.uri = f"{services.config.base_url}/flags/{uuid.uuid4()}"
    flag = to_activitypub.flag(report, services.urls.instance_actor, target, posts)
    await delivery.publish(session, services.instance_actor_id, flag,
                           [delivery.personal_inbox(target)])
    report.forward = True
    report.forwarded_at = utcnow()


# --- a remote server's Flag --------------------------------------------------------------


async def on_flag(services: Services, activity: ParsedActivity) -> str:
    """Reports about our accounts from another server (the inbox.apply job)."""
    ours = [uri for uri in _object_uris(activity.raw.get("object"))
            if same_origin(uri, services.config.base_url)]
    if not ours:
        return "ignored: the Flag names nothing of ours"
    try:
        reporter = await account_for_uri(services, activity.actor)
    except RemoteError as exc:
        raise Dropped(f"the reporting actor cannot be fetched: {exc}") from None
    if reporter.is_local:
        raise Dropped("a Flag from one of our own actors cannot arrive by an inbox")
    content = activity.raw.get("content")
    comment = clean_text((content if isinstance(content, str) else "")[:MAX_REMOTE_COMMENT])
    uri = activity.id if same_origin(activity.id, reporter.uri) else None
    async with services.db.writer.begin() as session:
        if uri is not None and await report_queries.by_uri(session, uri) is not None:
            return "ignored: this Flag was already received"
        targets = [a for a in await report_queries.accounts_by_uri(session, ours)
                   if a.is_local and a.actor_type != "Application" and not _unavailable(a)]
        if not targets:
            return "ignored: the Flag names no account of ours that can be reported"
        posts = await report_queries.statuses_by_uri(session, ours)
        made: list[int] = []
        for target in sorted(targets, key=lambda a: a.id):
            named = [p.id for p in posts if p.account_id == target.id]
            status_ids = await report_queries.reportable_by_domain(
                session, target.id, named, reporter.domain or "")
            # reports.uri is unique: a Flag naming several accounts keeps its id on the first
            # report, which is enough to recognise a redelivery.
            report = await report_queries.add(
                session, account_id=reporter.id, target_account_id=target.id,
                status_ids=status_ids, comment=comment, category="other",
                uri=None if made else uri)
            await _notify_admins(session, report)
            made.append(report.id)
    return f"report {', '.join(map(str, made))} received"


def _object_uris(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [uri for uri in (object_id(item) for item in items) if uri]


# --- admins ------------------------------------------------------------------------------


async def list_reports(services: Services, state: str | None, page: Page) -> list[ReportView]:
    """Newest first; `state` open, resolved or None for all."""
    if state is not None and state not in STATES:
        raise InvalidInput(N_("state must be one of %(states)s, not %(state)r"),
                           states=", ".join(STATES), state=state)
    async with services.db.reader() as session:
        rows = await report_queries.page(session, page, state=state)
    return [_summary(services, row) for row in rows]


async def get_report(services: Services, report_id: int) -> ReportView:
    async with services.db.reader() as session:
        return await _view(services, session, report_id)


async def resolve_report(services: Services, report_id: int, *, note: str = "",
                         actor_account_id: int | None = None) -> ReportView:
    async with services.db.writer.begin() as session:
        report = await _report(session, report_id)
        if report.state == RESOLVED:
            raise Conflict(N_("report %(id)s is already resolved"), id=report_id)
        report.state = RESOLVED
        report.resolved_at = utcnow()
        report.resolved_by_account_id = actor_account_id
        report.resolution_note = note.strip()
        await audit.record(session, actor_account_id=actor_account_id,
                           action="report.resolve", target_type="report",
                           target=str(report_id),
                           detail={"note": report.resolution_note} if note.strip() else None)
        return await _view(services, session, report_id)


async def reopen_report(services: Services, report_id: int, *,
                        actor_account_id: int | None = None) -> ReportView:
    async with services.db.writer.begin() as session:
        report = await _report(session, report_id)
        if report.state == OPEN:
            raise Conflict(N_("report %(id)s is already open"), id=report_id)
        report.state = OPEN
        report.resolved_at = None
        report.resolved_by_account_id = None
        await audit.record(session, actor_account_id=actor_account_id,
                           action="report.reopen", target_type="report",
                           target=str(report_id))
        return await _view(services, session, report_id)


async def forward_report(services: Services, report_id: int, *,
                         actor_account_id: int | None = None) -> ReportView:
    """Send the Flag of a report that was not forwarded when it was made."""
    async with services.db.writer.begin() as session:
        report = await _report(session, report_id)
        target = await account_queries.account_by_id(session, report.target_account_id)
        assert target is not None  # a foreign key
        if target.is_local:
            raise Conflict(N_("report %(id)s is about a local account: there is no other server "
                              "to forward it to"), id=report_id)
        if report.forwarded_at is not None:
            raise Conflict(N_("report %(id)s was already forwarded to %(domain)s"), id=report_id,
                           domain=target.domain)
        await _send_flag(services, session, report, target)
        await audit.record(session, actor_account_id=actor_account_id,
                           action="report.forward", target_type="report",
                           target=str(report_id),
                           detail={"domain": target.domain, "flag": report.uri})
        return await _view(services, session, report_id)


async def _report(session: AsyncSession, report_id: int) -> Report:
    report = await report_queries.by_id(session, report_id)
    if report is None:
        raise NotFound(N_("there is no report %(id)s"), id=report_id)
    return report


async def _view(services: Services, session: AsyncSession, report_id: int) -> ReportView:
    row = await report_queries.row(session, report_id)
    if row is None:
        raise NotFound(N_("there is no report %(id)s"), id=report_id)
    posts = await report_queries.statuses(session, row.report.status_ids)
    summary = _summary(services, row)
    return replace(summary, posts=tuple(
        ReportedPost(id=p.id, uri=p.uri, text=plain_text(p.content, EXCERPT),
                     deleted=p.deleted_at is not None) for p in posts))


def _summary(services: Services, row: ReportRow) -> ReportView:
    domain = services.config.instance.domain
    r = row.report
    return ReportView(
        id=r.id, reporter=handle_of(row.reporter, domain), target=handle_of(row.target, domain),
        target_uri=row.target.uri, category=r.category, comment=r.comment, state=r.state,
        status_ids=tuple(r.status_ids), forward=r.forward, forwarded_at=r.forwarded_at,
        uri=r.uri, created_at=r.created_at, resolved_at=r.resolved_at,
        resolution_note=r.resolution_note)

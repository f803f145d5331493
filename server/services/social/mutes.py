"""Mutes: a local user stops seeing an account in home, public and hashtag timelines and in
threads (and, unless kept, its notifications), while its profile page still shows it, as in
Mastodon. Local only: the muted account is never told. A mute may expire; an expired mute
stops applying at once (the queries compare expires_at with now) and is replaced or removed
like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from server.i18n import N_
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound, ServiceError
from server.services.social.blocks import handle_of, known_account, local_person, target_account
from storage import mutes as mute_queries
from storage.models import Account, Mute
from storage.types import utcnow

# Mastodon sets no upper bound; a year is ample and keeps the dates sane.
MAX_DURATION = 366 * 24 * 3600


@dataclass(frozen=True)
class MuteView:
    handle: str  # user@host
    uri: str
    hide_notifications: bool
    expires_at: datetime | None
    created_at: datetime


def _expiry(duration: int | None) -> datetime | None:
    if duration is None or duration == 0:
        return None  # 0 means "indefinitely", as in Mastodon's API
    if not 0 < duration <= MAX_DURATION:
        raise InvalidInput(N_("a mute lasts 1 to %(limit)s seconds (or 0: until undone)"),
                           limit=MAX_DURATION)
    return utcnow() + timedelta(seconds=duration)


async def mute(services: Services, username: str, handle: str, *,
               notifications: bool = True, duration: int | None = None) -> MuteView:
    """`username` mutes `handle` (hiding its notifications too unless notifications=False),
    for `duration` seconds or until unmuted. Muting again updates the mute."""
    _expiry(duration)  # a refused duration needs no lookup
    return await mute_account(services, username, await target_account(services, handle),
                              notifications=notifications, duration=duration)


async def mute_account(services: Services, username: str, target: Account, *,
                       notifications: bool = True, duration: int | None = None) -> MuteView:
    expires_at = _expiry(duration)
    async with services.db.writer.begin() as session:
        account = await local_person(session, username)
        if target.id == account.id:
            raise ServiceError(N_("an account cannot mute itself"))
        row = await mute_queries.mute_between(session, account.id, target.id)
        if row is None:
            row = Mute(account_id=account.id, target_account_id=target.id)
            session.add(row)
        row.hide_notifications = notifications
        row.expires_at = expires_at
        await session.flush()
        return MuteView(handle_of(target, services.config.instance.domain), target.uri,
                        row.hide_notifications, row.expires_at, row.created_at)


async def unmute(services: Services, username: str, handle: str) -> None:
    async with services.db.reader() as session:
        target = await known_account(services, session, handle)
    if target is None or not await unmute_account(services, username, target):
        raise NotFound(N_("%(username)s does not mute %(handle)s"),
                       username=username, handle=handle)


async def unmute_account(services: Services, username: str, target: Account) -> bool:
    """Lift `username`'s mute of `target`; False when none was in force."""
    async with services.db.writer.begin() as session:
        account = await local_person(session, username)
        row = await mute_queries.mute_between(session, account.id, target.id)
        if row is None:
            return False
        await mute_queries.delete_mute(session, row.id)
        return row.expires_at is None or row.expires_at > utcnow()


async def list_mutes(services: Services, username: str) -> list[MuteView]:
    """The mutes in force now (expired ones are left out)."""
    domain = services.config.instance.domain
    async with services.db.reader() as session:
        account = await local_person(session, username)
        rows = await mute_queries.mutes_of(session, account.id, utcnow())
    return [MuteView(handle_of(other, domain), other.uri, row.hide_notifications,
                     row.expires_at, row.created_at) for row, other in rows]

"""Read markers for notifications: the marker only moves forward, the unread count skips what
the list hides, and the web app's nav badge clears when the notifications page is read."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.handlers import session as web_session
from server.services.accounts.web_sessions import SignedIn
from server.services.context import Services
from server.services.social import follows, mutes
from server.services.social import markers as marker_service
from storage import markers
from storage.database import make_sessionmaker
from storage.models import Account, Block, Mute, Notification, User
from tests.federation.conftest import StartInstance
from tests.server.web_helpers import browser

# The sidebar's "Notifications" and the phone tab bar's "Alerts" (the visible label stays in
# the accessible name, for voice control).
# The nav links' hidden text after their label ("Notifications, 3 unread").
BADGE_RE = re.compile(r'<span class="sr-only unread-text">, ([0-9+]+) unread</span>')


def _account(username: str) -> Account:
    return Account(username=username, uri=f"https://local.test/users/{username}",
                   inbox_url=f"https://local.test/users/{username}/inbox")


async def _people(session: AsyncSession, *names: str) -> list[Account]:
    accounts = [_account(name) for name in names]
    session.add_all(accounts)
    await session.flush()
    return accounts


async def _notify(session: AsyncSession, to: Account, sender: Account,
                  kind: str = "follow") -> int:
    row = Notification(account_id=to.id, from_account_id=sender.id, type=kind)
    session.add(row)
    await session.flush()
    return row.id


async def test_marker_moves_only_forward(engine: AsyncEngine) -> None:
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker.begin() as session:
        [alice] = await _people(session, "alice")
        user = User(account_id=alice.id, password_hash="x")
        session.add(user)
        await session.flush()
        user_id = user.id
    async with sessionmaker.begin() as session:
        assert await markers.get(session, user_id, markers.NOTIFICATIONS) is None
        assert await markers.upsert(session, user_id, markers.NOTIFICATIONS, 200)
    async with sessionmaker.begin() as session:
        # an older page or tab never moves it back; the same id changes nothing
        assert not await markers.upsert(session, user_id, markers.NOTIFICATIONS, 100)
        assert not await markers.upsert(session, user_id, markers.NOTIFICATIONS, 200)
        # another timeline is a marker of its own
        assert await markers.upsert(session, user_id, "home", 50)
    async with sessionmaker() as session:
        marker = await markers.get(session, user_id, markers.NOTIFICATIONS)
        assert marker is not None and marker.last_read_id == 200
    async with sessionmaker.begin() as session:
        assert await markers.upsert(session, user_id, markers.NOTIFICATIONS, 300)
    async with sessionmaker() as session:
        marker = await markers.get(session, user_id, markers.NOTIFICATIONS)
        home = await markers.get(session, user_id, "home")
        assert marker is not None and marker.last_read_id == 300
        assert home is not None and home.last_read_id == 50


async def test_unread_count_skips_hidden_and_read_notifications(engine: AsyncEngine) -> None:
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker.begin() as session:
        alice, bob, carol, mallory, muted = await _people(
            session, "alice", "bob", "carol", "mallory", "muted")
        user = User(account_id=alice.id, password_hash="x")
        session.add_all([user, Block(account_id=alice.id, target_account_id=mallory.id),
                         Mute(account_id=alice.id, target_account_id=muted.id,
                              hide_notifications=True)])
        await session.flush()
        first = await _notify(session, alice, bob)
        await _notify(session, alice, carol, "favourite")
        await _notify(session, alice, mallory)  # blocked: hidden
        await _notify(session, alice, muted)  # muted with its notifications: hidden
        await _notify(session, bob, carol)  # someone else's
        report = await _notify(session, alice, mallory, "admin.report")  # never filtered
        user_id, alice_id = user.id, alice.id

    async def unread(cap: int = 100) -> int:
        async with sessionmaker() as session:
            return await markers.unread_notifications(session, user_id, alice_id, cap=cap)

    assert await unread() == 3  # no marker yet: everything shown counts
    assert await unread(cap=2) == 2
    async with sessionmaker.begin() as session:
        await markers.upsert(session, user_id, markers.NOTIFICATIONS, first)
        assert await markers.newest_notification_id(session, alice_id) == report
    assert await unread() == 2
    async with sessionmaker.begin() as session:
        await markers.upsert(session, user_id, markers.NOTIFICATIONS, report)
    assert await unread() == 0


async def test_nav_badge_counts_unread_until_the_list_is_read(
        start: StartInstance, monkeypatch: pytest.MonkeyPatch) -> None:
    a = await start("a")
    await a.add_user("alice")
    for name in ("bob", "carol", "dave", "erin"):
        await a.add_user(name)
    await follows.follow(a.services, "bob", a.handle("alice"))
    await follows.follow(a.services, "carol", a.handle("alice"))
    await mutes.mute(a.services, "alice", a.handle("dave"))
    await follows.follow(a.services, "dave", a.handle("alice"))  # muted: not counted

    async with browser(a) as b:
        assert (await b.sign_in("alice", "correct horse")).status == 303
        home = await b.get("/")
        assert home.status == 200
        assert BADGE_RE.findall(home.text) == ["2", "2"]  # sidebar and phone tab bar
        assert 'class="unread-badge" aria-hidden="true">2<' in home.text

        page = await b.get("/notifications")
        assert page.status == 200 and "@bob" in page.text
        assert not BADGE_RE.search(page.text)  # read now: this page shows no count
        assert not BADGE_RE.search((await b.get("/home")).text)

        await follows.follow(a.services, "erin", a.handle("alice"))
        assert BADGE_RE.findall((await b.get("/local")).text) == ["1", "1"]
        # an older page marks nothing (and the marker never moves back)
        older = await b.get(f"/notifications?max_id={2**62}")
        assert older.status == 200 and BADGE_RE.findall(older.text) == ["1", "1"]
        await b.get("/notifications")
        assert not BADGE_RE.search((await b.get("/discover")).text)

        # Past 99 the badge says so without counting further (the count stops at 100).
        async def many(services: Services, user: SignedIn) -> int:
            return marker_service.UNREAD_CAP

        monkeypatch.setattr(web_session.markers, "unread_notifications", many)
        page = await b.get("/local")
        assert BADGE_RE.findall(page.text) == ["99+", "99+"]

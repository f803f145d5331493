"""Browser sign-up, sign-in and sign-out over real HTTP: sessions, CSRF, session fixation."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import func, select, update
from yarl import URL

from server import appkeys, passwords
from server.handlers.session import CSRF_COOKIE, SESSION_COOKIE
from server.services.accounts.web_sessions import token_digest
from storage.models import User, WebSession
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance
from tests.server.web_helpers import browser


async def _sessions(instance: Instance) -> int:
    async with instance.app[appkeys.DATABASE].reader() as session:
        return int((await session.execute(select(func.count()).select_from(WebSession)))
                   .scalar_one())


async def test_open_sign_up_signs_in_and_sign_out_ends_the_session(
        start: StartInstance) -> None:
    a = await start("a")
    async with browser(a) as b:
        home = await b.get("/")
        assert 'href="/auth/sign_in"' in home.text and 'href="/auth/sign_up"' in home.text
        page = await b.sign_up("Alice", email="alice@example.com")
        assert page.status == 303, page.text
        assert page.location == "/welcome"  # the getting-started steps
        token = b.cookie(SESSION_COOKIE)
        assert token
        home = await b.get("/")
        assert "@alice" in home.text and "Sign out" in home.text
        async with a.app[appkeys.DATABASE].reader() as session:
            row = (await session.execute(select(WebSession))).scalar_one()
        assert row.id == token_digest(token) and token not in row.id  # only the hash is kept

        page = await b.sign_out()
        assert page.status == 303
        assert b.cookie(SESSION_COOKIE) is None
        assert await _sessions(a) == 0
        assert "Sign out" not in (await b.get("/")).text
    # The old cookie opens nothing any more.
    async with browser(a) as b:
        b.session.cookie_jar.update_cookies({SESSION_COOKIE: token}, URL(a.base))
        assert "@alice" not in (await b.get("/")).text


async def test_sign_in_by_name_or_email_and_wrong_password(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("bob", email="bob@example.com")  # password "correct horse"
    async with browser(a) as b:
        page = await b.sign_in("bob", "wrong password")
        assert page.status == 401
        assert "Wrong username or password." in page.text
        page = await b.sign_in("nobody", "whatever1")
        assert page.status == 401 and "Wrong username or password." in page.text
        assert b.cookie(SESSION_COOKIE) is None
        page = await b.sign_in("BOB@example.com", "correct horse")
        assert page.status == 303 and b.cookie(SESSION_COOKIE)
        assert "@bob" in (await b.get("/")).text
    async with browser(a) as b:
        assert (await b.sign_in("Bob", "correct horse")).status == 303
    async with a.app[appkeys.DATABASE].reader() as session:
        user = (await session.execute(select(User))).scalar_one()
    assert user.last_login_at is not None


async def test_sign_in_upgrades_a_hash_made_with_weaker_argon2_parameters(
        start: StartInstance) -> None:
    a = await start("a")
    bob = await a.add_user("bob")
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("correct horse")
    assert passwords.needs_rehash(weak)
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(User).where(User.id == bob.user_id)
                              .values(password_hash=weak))
    async with browser(a) as b:
        assert (await b.sign_in("bob", "correct horse")).status == 303
    async with a.app[appkeys.DATABASE].reader() as session:
        stored = (await session.execute(select(User))).scalar_one().password_hash
    assert stored != weak and not passwords.needs_rehash(stored)
    async with browser(a) as b:  # the upgraded hash still opens the door
        assert (await b.sign_in("bob", "correct horse")).status == 303


async def test_sign_in_redirects_only_to_local_paths(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("bob")
    async with browser(a) as b:
        page = await b.post("/auth/sign_in", {"login": "bob", "password": "correct horse",
                                              "next": "//evil.example/x"})
        assert page.status == 303 and page.location == "/"


async def test_csrf_missing_or_wrong_is_refused(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("bob")
    async with browser(a) as b:
        # Before sign-in: the double-submit cookie is required and must match.
        page = await b.post("/auth/sign_in", {"login": "bob", "password": "correct horse"},
                            csrf=None)
        assert page.status == 403 and "security token" in page.text
        await b.get("/auth/sign_in")  # sets the pre-session cookie
        assert b.cookie(CSRF_COOKIE)
        page = await b.post("/auth/sign_in", {"login": "bob", "password": "correct horse"},
                            csrf="x" * 43)
        assert page.status == 403
        assert b.cookie(SESSION_COOKIE) is None
        assert (await b.sign_in("bob", "correct horse")).status == 303
        # Signed in: the session's token, not the old pre-session one.
        page = await b.post("/auth/sign_out", {}, csrf=None)
        assert page.status == 403
        page = await b.post("/auth/sign_out", {}, csrf="wrong")
        assert page.status == 403
        assert await _sessions(a) == 1
        async with b.session.post(a.base + "/auth/sign_out",
                                  headers={"X-CSRF-Token": await b.csrf("/")},
                                  allow_redirects=False) as response:
            assert response.status == 303
        assert await _sessions(a) == 0
        # The inboxes are not forms: HTTP signatures guard them, not CSRF tokens.
        async with b.session.post(a.base + "/inbox", json={"type": "Follow"}) as response:
            assert response.status == 401


async def test_a_cookie_from_before_sign_in_never_becomes_the_session(
        start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("bob")
    await a.add_user("eve")
    planted = "attacker-chosen-token-0123456789abcdefghijklmnop"
    async with browser(a) as b:
        b.session.cookie_jar.update_cookies({SESSION_COOKIE: planted}, URL(a.base))
        await b.get("/auth/sign_in")
        assert (await b.sign_in("bob", "correct horse")).status == 303
        token = b.cookie(SESSION_COOKIE)
        assert token and token != planted
        async with a.app[appkeys.DATABASE].reader() as session:
            ids = set((await session.execute(select(WebSession.id))).scalars())
        assert ids == {token_digest(token)}
        assert (await b.get("/auth/sign_in")).status == 303  # already signed in
    # A second sign-in from a signed-in browser (as someone else) replaces its session.
    async with browser(a) as b:
        await b.get("/auth/sign_in")
        assert (await b.sign_in("bob", "correct horse")).status == 303
        first = b.cookie(SESSION_COOKIE)
        csrf = await b.csrf("/")
        page = await b.post("/auth/sign_in", {"login": "eve", "password": "correct horse"},
                            csrf=csrf)
        assert page.status == 303
        second = b.cookie(SESSION_COOKIE)
        assert second and second != first
        assert "@eve" in (await b.get("/")).text
        async with a.app[appkeys.DATABASE].reader() as session:
            ids = set((await session.execute(select(WebSession.id))).scalars())
        assert token_digest(first or "") not in ids and token_digest(second) in ids


async def test_session_cookie_attributes_and_sliding_expiry(
        start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("bob")
    async with browser(a) as b:
        await b.get("/auth/sign_in")
        csrf = await b.csrf("/auth/sign_in")
        async with b.session.post(a.base + "/auth/sign_in", allow_redirects=False, data={
                "login": "bob", "password": "correct horse", "csrf_token": csrf}) as response:
            cookie = response.cookies[SESSION_COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
        assert not cookie["secure"]  # http instance
        assert int(cookie["max-age"]) == 30 * 24 * 3600

        # Seen within the hour: no write, no new cookie.
        async with b.session.get(a.base + "/") as response:
            assert SESSION_COOKIE not in response.cookies
        # Last seen two hours ago: the session and the cookie slide forward.
        database = a.app[appkeys.DATABASE]
        async with database.writer.begin() as session:
            row = (await session.execute(select(WebSession))).scalar_one()
            row.last_seen_at -= timedelta(hours=2)
            old_expiry = row.expires_at = row.expires_at - timedelta(hours=2)
        async with b.session.get(a.base + "/") as response:
            assert response.cookies[SESSION_COOKIE]["max-age"]
        async with database.reader() as session:
            assert (await session.execute(select(WebSession))).scalar_one().expires_at \
                > old_expiry
        # Expired: signed out, and the browser is told to drop the cookie.
        async with database.writer.begin() as session:
            row = (await session.execute(select(WebSession))).scalar_one()
            row.expires_at = row.created_at - timedelta(seconds=1)
        page = await b.get("/")
        assert "Sign out" not in page.text
        assert b.cookie(SESSION_COOKIE) is None


async def test_cookies_are_secure_on_https_instances(start: StartInstance) -> None:
    a = await start("a", instance={"scheme": "https"})
    async with browser(a) as b, b.session.get(
            f"http://{a.domain}/auth/sign_in") as response:
        assert response.cookies[CSRF_COOKIE]["secure"]
        assert response.cookies[CSRF_COOKIE]["httponly"]

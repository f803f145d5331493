"""Registration modes through the real sign-up form, invite codes and the approval queue
through the real `dreamfeed admin` command."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from sqlalchemy import select

from server import appkeys
from server.handlers.session import SESSION_COOKIE
from server.services.accounts.registrations import new_invite_code
from storage.models import AuditEntry, Invite, Notification, User
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance
from tests.server.cli.cli_helpers import DREAMFEED, cli_env
from tests.server.web_helpers import browser


async def cli(instance: Instance, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """The real `dreamfeed` executable on the instance's database, without blocking the
    loop the instance serves on."""
    env = cli_env(instance.config.database.url, tmp_path,
                  DREAMFEED_INSTANCE_DOMAIN=instance.domain)
    process = await asyncio.create_subprocess_exec(
        DREAMFEED, *args, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


async def _user(instance: Instance, username: str) -> User | None:
    from storage.models import Account
    async with instance.app[appkeys.DATABASE].reader() as session:
        return (await session.execute(
            select(User).join(Account, Account.id == User.account_id)
            .where(Account.username == username))).scalar_one_or_none()


async def _new_invite(instance: Instance, tmp_path: Path, *options: str) -> str:
    rc, out, err = await cli(instance, tmp_path, "admin", "invites", "create", *options)
    assert rc == 0, err
    found = re.search(r"/invite/([A-Za-z0-9_-]+)", out)
    assert found, out
    return found.group(1)


async def test_approval_mode_queues_notifies_and_admin_approves(
        start: StartInstance, tmp_path: Path) -> None:
    a = await start("a", instance={"registrations": "approval"})
    admin = await a.add_user("root", admin=True)
    async with browser(a) as b:
        form = await b.get("/auth/sign_up")
        assert 'name="reason"' in form.text
        page = await b.sign_up("dora")
        assert page.status == 422 and "why you want to join" in page.text
        page = await b.sign_up("dora", reason="I draw dragons " + "x" * 600)
        assert page.status == 422 and "at most 500" in page.text
        page = await b.sign_up("dora", reason="I draw dragons")
        assert page.status == 200 and "waiting for approval" in page.text
        assert b.cookie(SESSION_COOKIE) is None
        page = await b.sign_in("dora")
        assert page.status == 401 and "waiting for approval" in page.text
    user = await _user(a, "dora")
    assert user is not None and not user.approved
    assert user.registration_reason == "I draw dragons"
    async with a.app[appkeys.DATABASE].reader() as session:
        notes = (await session.execute(select(Notification))).scalars().all()
    assert [(n.account_id, n.from_account_id, n.type) for n in notes] == [
        (admin.account_id, user.account_id, "admin.sign_up")]

    rc, out, err = await cli(a, tmp_path, "admin", "registrations", "list")
    assert rc == 0, err
    assert "@dora" in out and "I draw dragons" in out
    rc, out, err = await cli(a, tmp_path, "admin", "registrations", "approve", "dora")
    assert rc == 0, err
    rc, out, err = await cli(a, tmp_path, "admin", "registrations", "approve", "dora")
    assert rc == 1 and "not waiting for approval" in err
    async with browser(a) as b:
        assert (await b.sign_in("dora")).status == 303
    rc, out, err = await cli(a, tmp_path, "admin", "audit")
    assert "registration.approve" in out and "account:dora" in out


async def test_rejected_sign_up_frees_the_name(start: StartInstance,
                                              tmp_path: Path) -> None:
    a = await start("a", instance={"registrations": "approval"})
    await a.add_user("root", admin=True)
    async with browser(a) as b:
        await b.sign_up("spam", reason="buy things", email="spam@example.com")
    rc, out, err = await cli(a, tmp_path, "admin", "registrations", "reject", "spam")
    assert rc == 0 and "rejected @spam" in out, err
    assert await _user(a, "spam") is None
    rc, _, err = await cli(a, tmp_path, "admin", "registrations", "reject", "nobody")
    assert rc == 1 and "no local user named 'nobody'" in err
    async with browser(a) as b:
        page = await b.sign_up("spam", reason="honest this time", email="spam@example.com")
        assert page.status == 200 and "waiting for approval" in page.text
    async with a.app[appkeys.DATABASE].reader() as session:
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert actions == ["registration.reject"]


async def test_invite_mode_needs_a_code_that_works_once(start: StartInstance,
                                                       tmp_path: Path) -> None:
    a = await start("a", instance={"registrations": "invite"})
    async with browser(a) as b:
        page = await b.sign_up("eve")
        assert page.status == 422 and "need an invite code" in page.text
    code = await _new_invite(a, tmp_path, "--max-uses", "1", "--comment", "for fay")
    async with browser(a) as b:
        link = await b.get(f"/invite/{code}")
        assert link.status == 303 and link.location == f"/auth/sign_up?invite={code}"
        form = await b.get(link.location)
        assert f'name="invite_code" value="{code}"' in form.text
        page = await b.sign_up("fay", invite_code=code)
        assert page.status == 303, page.text
        assert b.cookie(SESSION_COOKIE)
    fay = await _user(a, "fay")
    assert fay is not None and fay.approved and fay.invite_id is not None
    async with browser(a) as b:
        page = await b.post("/auth/sign_up", {
            "username": "gus", "password": "correct horse battery",
            "password_confirmation": "correct horse battery", "invite_code": code},
            form_page="/auth/sign_up")
        assert page.status == 422 and "invite code is not valid" in page.text
        assert (await b.get(f"/invite/{code}")).status == 404
    assert await _user(a, "gus") is None
    async with a.app[appkeys.DATABASE].reader() as session:
        invite = (await session.execute(select(Invite))).scalar_one()
    assert invite.uses == 1 and invite.id == fay.invite_id and invite.comment == "for fay"


async def test_two_concurrent_sign_ups_cannot_share_a_single_use_code(
        start: StartInstance, tmp_path: Path) -> None:
    a = await start("a", instance={"registrations": "invite"})
    code = await _new_invite(a, tmp_path, "--max-uses", "1")
    async with browser(a) as b1, browser(a) as b2:
        pages = await asyncio.gather(b1.sign_up("hal", invite_code=code),
                                     b2.sign_up("ida", invite_code=code))
    assert sorted(page.status for page in pages) == [303, 422]
    made = [name for name in ("hal", "ida") if await _user(a, name) is not None]
    assert len(made) == 1
    async with a.app[appkeys.DATABASE].reader() as session:
        assert (await session.execute(select(Invite.uses))).scalar_one() == 1


async def test_revoked_and_expired_invites_are_refused(start: StartInstance,
                                                      tmp_path: Path) -> None:
    a = await start("a", instance={"registrations": "invite"})
    revoked = await _new_invite(a, tmp_path)
    rc, out, err = await cli(a, tmp_path, "admin", "invites", "revoke", revoked)
    assert rc == 0, err
    rc, out, err = await cli(a, tmp_path, "admin", "invites", "revoke", revoked)
    assert rc == 1 and "no unrevoked invite" in err
    expired = await _new_invite(a, tmp_path, "--expires-in", "60")
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        invite = (await session.execute(select(Invite).where(Invite.code == expired))) \
            .scalar_one()
        invite.expires_at = invite.created_at.replace(year=2000)
    unlimited = await _new_invite(a, tmp_path)
    rc, out, err = await cli(a, tmp_path, "admin", "invites", "list")
    assert rc == 0 and unlimited in out and revoked not in out and expired not in out
    rc, out, err = await cli(a, tmp_path, "admin", "invites", "list", "--all")
    assert revoked in out and "revoked" in out and expired in out
    async with browser(a) as b:
        for code in (revoked, expired, "no-such-code"):
            page = await b.sign_up("jo", invite_code=code)
            assert page.status == 422, code
        for name in ("kim", "lou"):  # no max uses: any number of people
            assert (await b.sign_up(name, invite_code=unlimited)).status == 303
            await b.sign_out()
    rc, out, err = await cli(a, tmp_path, "admin", "audit", "--action", "invite.revoke")
    assert f"invite:{revoked}" in out


async def test_closed_mode_refuses_but_an_invite_lets_in(start: StartInstance,
                                                        tmp_path: Path) -> None:
    a = await start("a", instance={"registrations": "closed"})
    async with browser(a) as b:
        home = await b.get("/")
        assert 'href="/auth/sign_up"' not in home.text.split("</header>")[1]
        page = await b.sign_up("max")
        assert page.status == 403 and "Sign-ups are closed" in page.text
    code = await _new_invite(a, tmp_path)
    async with browser(a) as b:
        assert (await b.sign_up("max", invite_code=code)).status == 303


async def test_an_invite_overrides_approval(start: StartInstance,
                                           tmp_path: Path) -> None:
    a = await start("a", instance={"registrations": "approval"})
    code = await _new_invite(a, tmp_path)
    async with browser(a) as b:
        form = await b.get(f"/auth/sign_up?invite={code}")
        assert 'name="reason"' not in form.text
        assert (await b.sign_up("ned", invite_code=code)).status == 303
    ned = await _user(a, "ned")
    assert ned is not None and ned.approved


async def test_sign_up_form_errors(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("taken")
    async with browser(a) as b:
        page = await b.post("/auth/sign_up", {"username": "pat", "password": "correct horse",
                                              "password_confirmation": "correct hors"},
                            form_page="/auth/sign_up")
        assert page.status == 422 and "do not match" in page.text
        assert (await b.sign_up("Taken")).status == 422
        assert "is taken" in (await b.sign_up("taken")).text
        assert "Invalid username" in (await b.sign_up("no spaces")).text
        assert "8 to" in (await b.sign_up("pat", password="short")).text
        assert "not an e-mail" in (await b.sign_up("pat", email="nope")).text


def test_invite_codes_are_letters_and_digits() -> None:
    # Never a leading "-": the code is typed as an argument of `admin invites revoke`.
    codes = {new_invite_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == 22 and code.isalnum() and code.isascii() for code in codes)

"""Reports across instances: a user on A reports an account on B and forwards it (B's inbox
gets a Flag signed by A's instance actor, B stores a report and tells its admins); a report
that is not forwarded stays home; a fake Mastodon's Flag reaches A; the admin actions."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from activitypub.parse import parse_activity
from server import appkeys
from server.services.errors import Conflict, InvalidInput, NotFound
from server.services.federation.remote import resolve_account
from server.services.moderation import reports
from server.services.social.notifications import list_notifications
from storage import audit
from storage import inbox as inbox_store
from storage.models import OutgoingActivity, Report, Status
from storage.pagination import Page
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote
from tests.federation.harness import Instance, settle
from tests.federation.interactions_helpers import local_post

DREAMFEED = str(Path(sys.executable).parent / "dreamfeed")


async def _remote_copy(a: Instance, b: Instance, status: Status) -> int:
    """A's stored copy of B's post (as the Create would have left it)."""
    author = await resolve_account(a.services, status.uri.rsplit("/statuses/", 1)[0])
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        copy = Status(uri=status.uri, url=status.url, account_id=author.id, local=False,
                      visibility=status.visibility, content=status.content)
        session.add(copy)
        await session.flush()
        return copy.id


async def _reports(instance: Instance) -> list[Report]:
    async with instance.app[appkeys.DATABASE].reader() as session:
        return list((await session.execute(select(Report).order_by(Report.id)))
                    .scalars().all())


async def _flags_sent(instance: Instance) -> list[OutgoingActivity]:
    async with instance.app[appkeys.DATABASE].reader() as session:
        rows = (await session.execute(select(OutgoingActivity))).scalars().all()
    return [row for row in rows if row.body.get("type") == "Flag"]


async def test_forwarded_report_reaches_the_reported_server(start: StartInstance) -> None:
    a, b = await start("a"), await start("b")
    await a.add_user("alice")
    await a.add_user("ann", admin=True)
    bob = await b.add_user("bob")
    await b.add_user("root", admin=True)
    post = await local_post(b, "bob")
    other = await local_post(b, "bob")
    copy = await _remote_copy(a, b, post)
    await _remote_copy(a, b, other)

    view = await reports.create_report(
        a.services, "alice", b.handle("bob"), status_ids=[copy], comment="  spam, again  ",
        category="spam", forward=True)
    assert (view.reporter, view.target, view.category, view.comment, view.status_ids) == (
        a.handle("alice"), b.handle("bob"), "spam", "spam, again", (copy,))
    assert view.forward and view.forwarded_at is not None
    assert view.uri is not None and view.uri.startswith(f"{a.base}/flags/")
    [flag] = await _flags_sent(a)
    # Mastodon's FlagSerializer: the instance actor, [account, posts...], the comment.
    assert flag.account_id == a.services.instance_actor_id
    assert flag.body == {"@context": "https://www.w3.org/ns/activitystreams", "id": view.uri,
                         "type": "Flag", "actor": f"{a.base}/actor",
                         "object": [b.actor("bob"), post.uri], "content": "spam, again"}
    # A's admin hears of it, from alice.
    [note] = await list_notifications(a.services, "ann", Page())
    assert (note.type, note.from_handle) == ("admin.report", a.handle("alice"))

    await settle([a, b])
    async with b.app[appkeys.DATABASE].reader() as session:
        row = await inbox_store.by_activity_id(session, view.uri)
    assert row is not None and row.state == "applied", row and row.error
    # Delivered to bob's inbox, signed by A's instance actor (B verified the signature).
    assert row.inbox_account_id == bob.account_id
    assert row.signer_uri == f"{a.base}/actor" and row.actor_uri == f"{a.base}/actor"

    [received] = await _reports(b)
    assert (received.target_account_id, received.status_ids, received.comment,
            received.uri, received.state) == (bob.account_id, [post.id], "spam, again",
                                              view.uri, "open")
    shown = await reports.get_report(b.services, received.id)
    assert shown.reporter == f"{a.domain}@{a.domain}"  # the instance actor: alice stays unknown
    assert [p.uri for p in shown.posts] == [post.uri]
    assert shown.posts[0].text == "a local post"
    [note] = await list_notifications(b.services, "root", Page())
    assert (note.type, note.from_handle) == ("admin.report", f"{a.domain}@{a.domain}")

    # Delivered again (a retry after a lost answer): still one report.
    activity = parse_activity(flag.body)
    assert await reports.on_flag(b.services, activity) == \
        "ignored: this Flag was already received"
    assert len(await _reports(b)) == 1


async def test_a_report_without_forward_stays_home(start: StartInstance) -> None:
    a, b = await start("a"), await start("b")
    await a.add_user("alice")
    await a.add_user("carol")
    await a.add_user("ann", admin=True)
    await b.add_user("bob")
    await b.add_user("root", admin=True)
    copy = await _remote_copy(a, b, await local_post(b, "bob"))
    mine = await local_post(a, "carol")
    private = await local_post(a, "carol", visibility="private")

    remote = await reports.create_report(a.services, "alice", b.handle("bob"),
                                         status_ids=[copy])
    assert not remote.forward and remote.uri is None
    # Forwarding a report about a local account has nowhere to go.
    local = await reports.create_report(a.services, "alice", a.handle("carol"),
                                        status_ids=[mine.id], forward=True)
    assert not local.forward and local.uri is None
    await settle([a, b])
    assert await _flags_sent(a) == []
    assert await _reports(b) == []
    assert await list_notifications(b.services, "root", Page()) == []
    # Two reports on two accounts: the admin is told of each.
    notes = await list_notifications(a.services, "ann", Page())
    assert [n.type for n in notes] == ["admin.report", "admin.report"]
    # Another report on carol while hers is open: no second notification (Mastodon's rule).
    await reports.create_report(a.services, "ann", a.handle("carol"), comment="me too")
    assert len(await list_notifications(a.services, "ann", Page())) == 2

    failures: list[tuple[dict[str, object], type[Exception], str]] = [
        ({"handle": a.handle("alice")}, InvalidInput, "an account cannot report itself"),
        ({"category": "rude"}, InvalidInput, "category must be one of spam, legal"),
        ({"comment": "x" * 1001}, InvalidInput, "at most 1000"),
        ({"status_ids": [private.id]}, NotFound,
         f"no post {private.id} by carol@{a.domain} that alice can see"),
        ({"status_ids": [copy]}, NotFound, "that alice can see"),
        ({"username": "nobody"}, NotFound, "no local account named 'nobody'"),
    ]
    for change, error, message in failures:
        args: dict[str, object] = {"username": "alice", "handle": a.handle("carol"), **change}
        with pytest.raises(error, match=message):
            await reports.create_report(a.services, str(args.pop("username")),
                                        str(args.pop("handle")), **args)  # type: ignore[arg-type]


async def test_a_flag_from_a_fake_mastodon(start: StartInstance) -> None:
    a = await start("a")
    bob = await a.add_user("bob")
    await a.add_user("ann", admin=True)
    public = await local_post(a, "bob")
    private = await local_post(a, "bob", visibility="private")
    async with FakeRemote("masto") as fake:
        moderator = fake.add_actor("mastodon.internal", "mastodon")
        flag = {"@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{fake.base}/0a1b2c3d-flag", "type": "Flag", "actor": moderator.id,
                "content": "Please look at this",
                "object": [a.actor("bob"), public.uri, private.uri,
                           "https://elsewhere.example/users/x", f"{a.base}/actor"]}
        reply = await fake.deliver(moderator, f"{a.base}/actor/inbox", flag)
        assert reply.status == 202, reply.text
        await settle([a])

        [report] = await _reports(a)
        # The private post is left out: nobody on that server follows bob.
        assert (report.target_account_id, report.status_ids, report.comment, report.uri) == (
            bob.account_id, [public.id], "Please look at this", flag["id"])
        [note] = await list_notifications(a.services, "ann", Page())
        assert (note.type, note.from_handle) == ("admin.report", moderator.handle)

        # A Flag about nothing of ours is accepted and ignored, through the shared inbox too.
        stray_id = f"{fake.base}/stray-flag"
        stray = {**flag, "id": stray_id, "object": ["https://elsewhere.example/users/x"]}
        assert (await fake.deliver(moderator, f"{a.base}/inbox", stray)).status == 202
        await settle([a])
        async with a.app[appkeys.DATABASE].reader() as session:
            row = await inbox_store.by_activity_id(session, stray_id)
        assert row is not None and row.state == "ignored"
        assert len(await _reports(a)) == 1

        # The shared inbox takes a Flag naming our account; bob's report is still open, so
        # the admin is not told twice (Mastodon's unresolved_siblings? rule).
        again = {**flag, "id": f"{fake.base}/second-flag", "object": a.actor("bob")}
        assert (await fake.deliver(moderator, f"{a.base}/inbox", again)).status == 202
        await settle([a])
        assert [(r.target_account_id, r.status_ids, r.uri) for r in await _reports(a)][1:] \
            == [(bob.account_id, [], again["id"])]
        assert len(await list_notifications(a.services, "ann", Page())) == 1


async def test_admin_actions_are_audited(start: StartInstance) -> None:
    a, b = await start("a"), await start("b")
    await a.add_user("alice")
    await b.add_user("bob")
    await b.add_user("root", admin=True)
    copy = await _remote_copy(a, b, await local_post(b, "bob"))
    view = await reports.create_report(a.services, "alice", b.handle("bob"),
                                       status_ids=[copy], comment="later")

    [listed] = await reports.list_reports(a.services, "open", Page())
    assert listed.id == view.id
    forwarded = await reports.forward_report(a.services, view.id)
    assert forwarded.forwarded_at is not None and forwarded.uri
    with pytest.raises(Conflict, match="already forwarded"):
        await reports.forward_report(a.services, view.id)
    await settle([a, b])
    assert [r.comment for r in await _reports(b)] == ["later"]

    resolved = await reports.resolve_report(a.services, view.id, note="asked them")
    assert (resolved.state, resolved.resolution_note) == ("resolved", "asked them")
    assert await reports.list_reports(a.services, "open", Page()) == []
    with pytest.raises(Conflict, match="already resolved"):
        await reports.resolve_report(a.services, view.id)
    assert (await reports.reopen_report(a.services, view.id)).state == "open"
    with pytest.raises(NotFound, match="there is no report 1"):
        await reports.resolve_report(a.services, 1)
    with pytest.raises(InvalidInput, match="state must be one of open, resolved"):
        await reports.list_reports(a.services, "closed", Page())

    async with a.app[appkeys.DATABASE].reader() as session:
        entries = await audit.entries(session, Page())
        assert await session.scalar(select(func.count(Report.id))) == 1
    assert [(e.action, e.target, e.account_id) for e in entries] == [
        ("report.reopen", str(view.id), None), ("report.resolve", str(view.id), None),
        ("report.forward", str(view.id), None)]
    assert entries[1].detail == {"note": "asked them"}
    assert json.loads(json.dumps(entries[2].detail))["domain"] == b.domain


async def _cli(instance: Instance, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """The real `dreamfeed` process, without blocking the loop that serves the instances."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DREAMFEED_")}
    env.update({
        "DREAMFEED_DATABASE_URL": instance.config.database.url,
        "DREAMFEED_INSTANCE_DOMAIN": instance.domain,
        "DREAMFEED_INSTANCE_SCHEME": "http",
        "DREAMFEED_MEDIA_PATH": str(tmp_path / "cli-media"),
        "DREAMFEED_FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true",
    })
    proc = await asyncio.create_subprocess_exec(DREAMFEED, *args, env=env,
                                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, stdout.decode(), stderr.decode()


async def test_report_commands(start: StartInstance, tmp_path: Path) -> None:
    a, b = await start("a", host="127.0.0.1"), await start("b", host="127.0.0.1")
    await a.add_user("alice")
    await a.add_user("carol")
    await b.add_user("bob")
    post = await local_post(b, "bob")
    copy = await _remote_copy(a, b, post)
    mine = await local_post(a, "carol")

    code, out, err = await _cli(a, tmp_path, "report", "alice", a.handle("carol"), "--status",
                                str(mine.id), "--comment", "rude", "--category", "violation")
    assert code == 0, err
    local_id = int(out.split()[1].rstrip(":"))
    assert out == f"report {local_id}: {a.handle('carol')} reported with 1 post(s) " \
        "(violation)\n"
    code, out, err = await _cli(a, tmp_path, "report", "alice", b.handle("bob"), "--status",
                                str(copy), "--forward")
    assert code == 0, err
    remote_id = int(out.split()[1].rstrip(":"))
    assert f"  forwarded to {b.domain} as {a.base}/flags/" in out
    await settle([a, b])
    assert len(await _reports(b)) == 1

    code, out, _ = await _cli(a, tmp_path, "admin", "report", "list")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"{remote_id}  ")
    assert lines[1].endswith(f"open  violation  {a.handle('carol')}  by {a.handle('alice')}  "
                             "1 post(s)")
    code, out, _ = await _cli(a, tmp_path, "admin", "report", "show", str(local_id))
    assert f"  reporter: {a.handle('alice')}\n" in out
    assert f"  target:   {a.handle('carol')}  {a.actor('carol')}\n" in out
    assert "  comment:  rude\n" in out
    assert f"  posts (1):\n    {mine.id}  {mine.uri}\n      a local post\n" in out

    code, out, err = await _cli(a, tmp_path, "admin", "report", "resolve", str(local_id),
                                "--note", "warned carol")
    assert (code, out) == (0, f"report {local_id} resolved\n"), err
    assert (await _cli(a, tmp_path, "admin", "report", "list", "--state", "resolved"))[1]\
        .startswith(f"{local_id}  ")
    code, out, _ = await _cli(a, tmp_path, "admin", "report", "list", "--state", "all")
    assert len(out.splitlines()) == 2
    code, out, err = await _cli(a, tmp_path, "admin", "report", "reopen", str(local_id))
    assert (code, out) == (0, f"report {local_id} reopened\n"), err
    code, out, _ = await _cli(a, tmp_path, "admin", "audit")
    assert f"operator  report.reopen  report:{local_id}\n" in out
    assert f'operator  report.resolve  report:{local_id} {{"note": "warned carol"}}\n' in out

    for args, message in [
        (("admin", "report", "forward", str(local_id)), "is about a local account"),
        (("admin", "report", "forward", str(remote_id)), "was already forwarded"),
        (("admin", "report", "show", "1"), "there is no report 1"),
        (("report", "alice", "nobody@" + a.domain), "no account named 'nobody'"),
        (("report", "alice", a.handle("carol"), "--status", str(copy)), "that alice can see"),
    ]:
        code, _, err = await _cli(a, tmp_path, *args)
        assert code == 1 and message in err, (args, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err

"""Timelines through the real services on real databases (both kinds). Rows are inserted
directly where the federation path is not the point; one test follows a remote account over
two real instances and sees its post in home."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from server import appkeys
from server.services.reading import timelines
from server.services.social import follows
from server.services.social.notifications import notify
from server.services.statuses import posts
from storage.database import make_sessionmaker
from storage.ids import new_id
from storage.models import Account, Block, Follow, Mention, Notification, Status, StatusTag, Tag
from storage.pagination import Page
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance, settle
from tests.server.cli.cli_helpers import cli_env, run_cli


class Rows:
    """Direct inserts into one instance's database."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer

    async def account(self, username: str, domain: str | None = None) -> int:
        row = Account(username=username, domain=domain,
                      uri=f"https://{domain or 'here'}/users/{username}")
        return await self._add(row)

    async def status(self, account_id: int, text: str = "", *, visibility: str = "public",
                     local: bool = True, reblog_of: int | None = None,
                     reply_to: int | None = None, reply_to_account: int | None = None) -> int:
        status_id = new_id()
        row = Status(id=status_id, uri=f"https://here/s/{status_id}", account_id=account_id,
                     local=local, visibility=visibility, content=f"<p>{text}</p>",
                     reblog_of_id=reblog_of, in_reply_to_id=reply_to,
                     in_reply_to_account_id=reply_to_account)
        return await self._add(row)

    async def follow(self, account_id: int, target: int, state: str = "accepted") -> None:
        await self._add(Follow(account_id=account_id, target_account_id=target, state=state))

    async def block(self, account_id: int, target: int) -> None:
        await self._add(Block(account_id=account_id, target_account_id=target))

    async def unblock_all(self) -> None:
        async with self.writer.begin() as session:
            await session.execute(delete(Block))

    async def mention(self, status_id: int, account_id: int) -> None:
        await self._add(Mention(status_id=status_id, account_id=account_id))

    async def tag(self, status_id: int, name: str) -> None:
        tag_id = await self._add(Tag(name=name))
        await self._add(StatusTag(status_id=status_id, tag_id=tag_id))

    async def delete_status(self, status_id: int) -> None:
        async with self.writer.begin() as session:
            await session.execute(update(Status).where(Status.id == status_id)
                                  .values(deleted_at=datetime.now(UTC)))

    async def _add(self, row: Any) -> int:
        async with self.writer.begin() as session:
            session.add(row)
            await session.flush()
            return int(getattr(row, "id", 0) or getattr(row, "tag_id", 0))


async def _setup(start: StartInstance) -> tuple[Instance, Rows, int]:
    a = await start("a")
    alice = (await a.add_user("alice")).account_id
    return a, Rows(a.app[appkeys.DATABASE].writer), alice


def texts(items: list[timelines.TimelineItem]) -> list[str]:
    return [item.text for item in items]


async def test_home_follows_visibility_boosts_replies(start: StartInstance) -> None:
    a, rows, alice = await _setup(start)
    bob = await rows.account("bob")
    carol = await rows.account("carol")
    dave = await rows.account("dave")
    eve = await rows.account("eve", "remote.example")
    await rows.follow(alice, bob)
    await rows.follow(alice, eve)
    await rows.follow(alice, carol, state="pending")

    mine = await rows.status(alice, "mine, private", visibility="private")
    await rows.status(bob, "bob public")
    await rows.status(bob, "bob followers-only", visibility="private")
    dm = await rows.status(bob, "bob to alice", visibility="direct")
    await rows.mention(dm, alice)
    await rows.status(bob, "bob to dave", visibility="direct")
    await rows.status(carol, "carol pending")
    stranger = await rows.status(dave, "dave stranger")
    await rows.status(bob, reblog_of=stranger)  # a boost of a stranger's post
    await rows.status(bob, reblog_of=mine)  # a boost of alice's own: not in her home
    await rows.status(bob, "bob replies to dave", reply_to=stranger, reply_to_account=dave)
    await rows.status(bob, "bob replies to alice", reply_to=mine, reply_to_account=alice)
    await rows.status(eve, "eve remote", local=False)
    gone = await rows.status(bob, "bob deleted")
    await rows.delete_status(gone)

    items = await timelines.home(a.services, "alice", Page())
    assert texts(items) == ["eve remote", "bob replies to alice", "dave stranger",
                            "bob to alice", "bob followers-only", "bob public",
                            "mine, private"]
    boost = items[2]
    assert boost.boosted_by == "bob@" + a.domain and boost.author_handle == "dave@" + a.domain
    assert boost.status_id == stranger and boost.id != stranger
    assert items[0].author_handle == "eve@remote.example"
    # a post shown once: dave's post is boosted twice more, only the newest entry stays
    await rows.status(eve, reblog_of=stranger)
    items = await timelines.home(a.services, "alice", Page())
    assert texts(items).count("dave stranger") == 1 and items[0].boosted_by == "eve@remote.example"


async def test_blocks_hide_both_ways_and_through_boosts(start: StartInstance) -> None:
    a, rows, alice = await _setup(start)
    bob = await rows.account("bob")
    dave = await rows.account("dave")
    await rows.follow(alice, bob)
    await rows.status(bob, "bob says")
    daves = await rows.status(dave, "dave says")
    await rows.status(bob, reblog_of=daves)
    assert texts(await timelines.home(a.services, "alice", Page())) == ["dave says", "bob says"]
    assert len(await timelines.local(a.services, Page(), viewer="alice")) == 2

    await rows.block(alice, dave)  # alice blocks dave: his post, even boosted, is gone
    assert texts(await timelines.home(a.services, "alice", Page())) == ["bob says"]
    assert texts(await timelines.local(a.services, Page(), viewer="alice")) == ["bob says"]
    await rows.unblock_all()
    await rows.block(bob, alice)  # bob blocks alice: all of bob is gone for her
    assert texts(await timelines.home(a.services, "alice", Page())) == []
    assert await timelines.profile(a.services, "bob", Page(), viewer="alice") == []
    assert texts(await timelines.federated(a.services, Page(), viewer="alice")) == ["dave says"]
    # anonymous readers are not affected by alice's blocks
    assert len(await timelines.federated(a.services, Page())) == 2


async def test_pagination(start: StartInstance) -> None:
    a, rows, alice = await _setup(start)
    ids = [await rows.status(alice, f"post {n}") for n in range(25)]
    newest_first = list(reversed(ids))

    async def page(**kwargs: Any) -> list[int]:
        return [item.id for item in await timelines.home(a.services, "alice", Page(**kwargs))]

    first = await page(limit=10)
    assert first == newest_first[:10]
    second = await page(limit=10, max_id=first[-1])
    assert second == newest_first[10:20]
    assert await page(limit=10, max_id=second[-1]) == newest_first[20:]
    assert await page(since_id=ids[19], limit=3) == newest_first[:3]  # the newest above
    assert await page(min_id=ids[19], limit=3) == [ids[22], ids[21], ids[20]]  # just after
    assert await page(max_id=ids[10], since_id=ids[7]) == [ids[9], ids[8]]
    assert await page() == newest_first[:20]


async def test_local_federated_profile_hashtag(start: StartInstance) -> None:
    a, rows, alice = await _setup(start)
    bob = await rows.account("bob")
    eve = await rows.account("eve", "remote.example")
    tagged = await rows.status(bob, "bob #cats")
    await rows.tag(tagged, "cats")
    await rows.status(bob, "bob unlisted", visibility="unlisted")
    await rows.status(bob, "bob private", visibility="private")
    await rows.status(bob, reblog_of=tagged)
    remote = await rows.status(eve, "eve #cats", local=False)
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        cats = (await session.execute(select(Tag.id).where(Tag.name == "cats"))).scalar_one()
        session.add(StatusTag(status_id=remote, tag_id=cats))
    await rows.status(eve, "eve private", visibility="private", local=False)
    gone = await rows.status(alice, "alice gone")
    await rows.delete_status(gone)

    assert texts(await timelines.local(a.services, Page())) == ["bob #cats"]
    assert texts(await timelines.federated(a.services, Page())) == ["eve #cats", "bob #cats"]
    assert texts(await timelines.hashtag(a.services, "#Cats", Page())) == \
        ["eve #cats", "bob #cats"]
    assert await timelines.hashtag(a.services, "dogs", Page()) == []
    # a profile: public + unlisted + boosts; private only to followers. A post and its boost
    # are one post, shown once per page (the newest entry: the boost)
    anonymous = await timelines.profile(a.services, "bob", Page())
    assert texts(anonymous) == ["bob #cats", "bob unlisted"]
    assert anonymous[0].boosted_by == "bob@" + a.domain
    assert texts(await timelines.profile(a.services, "bob", Page(), viewer="alice")) == \
        ["bob #cats", "bob unlisted"]
    await rows.follow(alice, bob)
    assert "bob private" in texts(await timelines.profile(a.services, "bob", Page(),
                                                          viewer="alice"))
    assert texts(await timelines.profile(a.services, "eve@remote.example", Page())) == \
        ["eve #cats"]


async def test_thread(start: StartInstance) -> None:
    a, rows, alice = await _setup(start)
    bob = await rows.account("bob")
    dave = await rows.account("dave")
    root = await rows.status(alice, "root")
    middle = await rows.status(bob, "middle", reply_to=root, reply_to_account=alice)
    focus = await rows.status(alice, "focus", reply_to=middle, reply_to_account=bob)
    r1 = await rows.status(bob, "reply 1", reply_to=focus, reply_to_account=alice)
    await rows.status(dave, "reply 2", reply_to=focus, reply_to_account=alice)
    await rows.status(alice, "reply to 1", reply_to=r1, reply_to_account=bob)
    await rows.status(bob, "private reply", reply_to=focus, reply_to_account=alice,
                      visibility="private")
    gone = await rows.status(bob, "deleted reply", reply_to=focus, reply_to_account=alice)
    await rows.delete_status(gone)

    view = await timelines.thread(a.services, focus, viewer="alice")
    assert texts(view.ancestors) == ["root", "middle"] and view.status.text == "focus"
    assert texts(view.descendants) == ["reply 1", "reply 2", "reply to 1"]
    await rows.follow(alice, bob)
    view = await timelines.thread(a.services, focus, viewer="alice")
    assert texts(view.descendants) == ["reply 1", "reply 2", "private reply", "reply to 1"]
    await rows.block(alice, dave)
    view = await timelines.thread(a.services, focus, viewer="alice")
    assert "reply 2" not in texts(view.descendants)
    await rows.block(bob, alice)  # bob's middle post and replies vanish; the chain goes on
    view = await timelines.thread(a.services, focus, viewer="alice")
    assert texts(view.ancestors) == ["root"] and texts(view.descendants) == []


async def test_notifications_skip_blocked_and_deleted(start: StartInstance) -> None:
    a, rows, alice = await _setup(start)
    bob = await rows.account("bob")
    dave = await rows.account("dave")
    post = await rows.status(alice, "liked")
    other = await rows.status(alice, "to be deleted")
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        await notify(session, alice, bob, "favourite", post)
        await notify(session, alice, bob, "favourite", other)
        await notify(session, alice, dave, "follow")
    assert [n.type for n in await timelines.notifications(a.services, "alice", Page())] == \
        ["follow", "favourite", "favourite"]
    await rows.delete_status(other)
    await rows.block(dave, alice)
    items = await timelines.notifications(a.services, "alice", Page())
    assert [(n.type, n.status_id) for n in items] == [("favourite", post)]
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(delete(Notification))


async def test_remote_followed_post_in_home(start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    await a.add_user("alice")
    bob = await b.add_user("bob")
    await follows.follow(a.services, "alice", b.handle("bob"))
    await settle([a, b])
    media = await b.make_images(bob.account_id, "a lighthouse at dusk")
    await posts.create_status(b.services, "bob", posts.NewStatus(
        media_ids=media, caption="Lighthouse"))
    await settle([a, b])
    items = await timelines.home(a.services, "alice", Page())
    assert [(i.author_handle, i.text[:10]) for i in items] == [(b.handle("bob"), "Lighthouse")]
    assert items[0].images == 1
    assert texts(await timelines.federated(a.services, Page())) == texts(items)
    assert await timelines.local(a.services, Page()) == []


async def test_cli_timeline(engine: AsyncEngine, database_url: str, tmp_path: Path) -> None:
    env = cli_env(database_url, tmp_path)
    assert run_cli(["user", "add", "alice", "--password-stdin"], env,
                   stdin="a long password\n").returncode == 0
    rows = Rows(make_sessionmaker(engine))
    async with make_sessionmaker(engine)() as session:
        alice = (await session.execute(select(Account.id).where(
            Account.username == "alice"))).scalar_one()
    bob = await rows.account("bob")
    await rows.follow(alice, bob)
    first = await rows.status(bob, "hello from bob " + "x" * 80)
    await rows.status(alice, "alice writes")

    result = run_cli(["timeline", "alice", "home"], env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split("  ", 1)[1].startswith("@alice@dreamfeed.test · ")
    assert "· alice writes · 0 images · 0 likes/0 boosts" in lines[0]
    assert "hello from bob xxx" in lines[1] and "\u2026" in lines[1]
    assert lines[-1] == f"(older: --max-id {first})"
    result = run_cli(["timeline", "alice", "home", "--max-id", str(first)], env)
    assert result.returncode == 0 and "timeline is empty" in result.stdout
    result = run_cli(["timeline", "alice", "local", "--limit", "1"], env)
    assert result.returncode == 0 and "alice writes" in result.stdout
    result = run_cli(["timeline", "nobody", "home"], env)
    assert result.returncode == 1 and "no local user named 'nobody'" in result.stderr
    result = run_cli(["timeline", "alice", "sideways"], env)
    assert result.returncode == 2 and "unknown timeline 'sideways'" in result.stderr

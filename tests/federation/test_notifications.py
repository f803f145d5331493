"""Notifications: the rules of `notify`, the paginated list, and `dreamfeed notifications`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from server import appkeys
from server.services.errors import NotFound
from server.services.social import notifications
from server.services.social.notifications import list_notifications, notify
from storage.models import Block
from storage.pagination import Page
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance
from tests.federation.interactions_helpers import local_post

DREAMFEED = str(Path(sys.executable).parent / "dreamfeed")


async def _notify(a: Instance, *args: object) -> bool:
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        return await notify(session, *args)  # type: ignore[arg-type]


async def test_notify_rules(start: StartInstance) -> None:
    a = await start("a")
    alice = (await a.add_user("alice")).account_id
    bob = (await a.add_user("bob")).account_id
    status = await local_post(a, "alice")

    assert await _notify(a, alice, bob, notifications.FAVOURITE, status.id)
    # The same notification twice is one; yourself, never.
    assert not await _notify(a, alice, bob, notifications.FAVOURITE, status.id)
    assert not await _notify(a, alice, alice, notifications.FAVOURITE, status.id)
    # Another type, or no post at all, is another notification.
    assert await _notify(a, alice, bob, notifications.REBLOG, status.id)
    assert await _notify(a, alice, bob, notifications.FOLLOW)
    assert not await _notify(a, alice, bob, notifications.FOLLOW)
    with pytest.raises(ValueError, match="unknown notification type 'poke'"):
        await _notify(a, alice, bob, "poke")
    views = await list_notifications(a.services, "alice", Page())
    assert [(v.type, v.from_handle, v.status_uri) for v in views] == [
        ("follow", f"bob@{a.domain}", None),
        ("reblog", f"bob@{a.domain}", status.uri),
        ("favourite", f"bob@{a.domain}", status.uri),
    ]
    assert views[1].status_excerpt == "a local post"
    # Someone alice blocks no longer reaches her, and what he did before no longer shows
    # (Mastodon's AfterBlockService clears them).
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        session.add(Block(account_id=alice, target_account_id=bob))
    assert not await _notify(a, alice, bob, notifications.MENTION, status.id)
    assert await list_notifications(a.services, "alice", Page()) == []
    with pytest.raises(NotFound, match="no local account named 'nobody'"):
        await list_notifications(a.services, "nobody", Page())


async def test_pagination(start: StartInstance) -> None:
    a = await start("a")
    alice = (await a.add_user("alice")).account_id
    senders = [(await a.add_user(f"user{n}")).account_id for n in range(5)]
    for sender in senders:
        assert await _notify(a, alice, sender, notifications.FOLLOW)
    everything = await list_notifications(a.services, "alice", Page(limit=40))
    ids = [v.id for v in everything]
    assert len(ids) == 5 and ids == sorted(ids, reverse=True)  # newest first

    async def page(**bounds: int) -> list[int]:
        return [v.id for v in await list_notifications(a.services, "alice", Page(**bounds))]

    assert await page(limit=2) == ids[:2]
    assert await page(limit=2, max_id=ids[1]) == ids[2:4]
    assert await page(limit=2, since_id=ids[4]) == ids[:2]  # the newest after since_id
    assert await page(limit=2, min_id=ids[4]) == ids[2:4]  # the ones just after min_id
    assert await page(max_id=ids[4]) == []


async def _cli(instance: Instance, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DREAMFEED_")}
    env.update({
        "DREAMFEED_DATABASE_URL": instance.config.database.url,
        "DREAMFEED_INSTANCE_DOMAIN": instance.domain,
        "DREAMFEED_INSTANCE_SCHEME": "http",
        "DREAMFEED_MEDIA_PATH": str(tmp_path / "cli-media"),
    })
    proc = await asyncio.create_subprocess_exec(DREAMFEED, *args, env=env,
                                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, stdout.decode(), stderr.decode()


async def test_notifications_command(start: StartInstance, tmp_path: Path) -> None:
    a = await start("a")
    alice = (await a.add_user("alice")).account_id
    bob = (await a.add_user("bob")).account_id
    status = await local_post(a, "alice")

    code, out, err = await _cli(a, tmp_path, "notifications", "alice")
    assert (code, out, err) == (0, "alice: no notifications\n", "")

    await _notify(a, alice, bob, notifications.FOLLOW)
    await _notify(a, alice, bob, notifications.FAVOURITE, status.id)
    code, out, err = await _cli(a, tmp_path, "notifications", "alice", "--limit", "1")
    assert code == 0, err
    [line] = out.splitlines()
    newest = (await list_notifications(a.services, "alice", Page(limit=1)))[0]
    assert line.startswith(f"{newest.id}  ")
    assert f"favourite       bob@{a.domain}  {status.uri}  \u201ca local post\u201d" in line

    code, out, _ = await _cli(a, tmp_path, "notifications", "alice", "--max-id",
                              str(newest.id))
    assert code == 0 and len(out.splitlines()) == 1 and f"follow          bob@{a.domain}" in out

    code, _, err = await _cli(a, tmp_path, "notifications", "nobody")
    assert code == 1 and "no local account named 'nobody'" in err
    code, _, err = await _cli(a, tmp_path, "notifications", "alice", "--limit", "0")
    assert code == 2 and "must be between 1 and 40" in err

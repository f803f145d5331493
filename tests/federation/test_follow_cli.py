"""`dreamfeed follow / unfollow / follows` as real processes against running instances."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import update

from server import appkeys
from storage.models import Account
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance, settle

DREAMFEED = str(Path(sys.executable).parent / "dreamfeed")


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


async def _cli(instance: Instance, tmp_path: Path, *args: str) -> Result:
    """Run the CLI without blocking the event loop that serves the instances it talks to."""
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
    return Result(proc.returncode, stdout.decode(), stderr.decode())


async def test_follow_commands(start: StartInstance, tmp_path: Path) -> None:
    a = await start("a", host="127.0.0.1")
    b = await start("b", host="127.0.0.1")
    await a.add_user("alice")
    bob = await b.add_user("bob")
    async with b.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(Account).where(Account.id == bob.account_id)
                              .values(manually_approves_followers=True))

    result = await _cli(a, tmp_path, "follow", "alice", b.handle("bob"))
    assert result.returncode == 0, result.stderr
    assert f"follow requested (waiting for the account to accept) {b.actor('bob')}" \
        in result.stdout
    await settle([a, b])

    listing = (await _cli(b, tmp_path, "follows", "list", "bob")).stdout
    assert f"follow requests (1):\n  {a.handle('alice')}" in listing
    result = await _cli(b, tmp_path, "follows", "approve", "bob", a.handle("alice"))
    assert result.returncode == 0, result.stderr
    await settle([a, b])
    listing = (await _cli(a, tmp_path, "follows", "list", "alice")).stdout
    assert f"following (1):\n  {b.handle('bob')}" in listing

    result = await _cli(a, tmp_path, "unfollow", "alice", b.actor("bob"))
    assert result.returncode == 0, result.stderr
    await settle([a, b])
    assert "followers (0):" in (await _cli(b, tmp_path, "follows", "list", "bob")).stdout


async def test_follow_command_errors(start: StartInstance, tmp_path: Path) -> None:
    a = await start("a", host="127.0.0.1")
    await a.add_user("alice")
    for args, message in [
        (("follow", "alice", "not-a-handle"), "is not a handle like user@example.com"),
        (("follow", "nobody", "alice@" + a.domain), "no local account named 'nobody'"),
        (("follow", "alice", "ghost@" + a.domain), "no account named 'ghost'"),
        (("follow", "alice", "someone@127.0.0.1:1"), "cannot look up someone@127.0.0.1:1"),
        (("unfollow", "alice", "alice@" + a.domain), "does not follow"),
        (("follows", "approve", "alice", "alice@" + a.domain), "no pending follow request"),
    ]:
        result = await _cli(a, tmp_path, *args)
        assert result.returncode == 1, (args, result.stdout)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr

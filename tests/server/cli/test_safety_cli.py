"""`dreamfeed block|unblock|blocks`, `mute|unmute|mutes` and `filter add|list|remove` as real
processes on a real database (both kinds), with one-line refusals."""

from __future__ import annotations

import re
from pathlib import Path

from tests.server.cli.cli_helpers import cli_env, run_cli


def _ok(args: list[str], env: dict[str, str]) -> str:
    result = run_cli(args, env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _refused(args: list[str], env: dict[str, str]) -> str:
    result = run_cli(args, env)
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 or result.returncode == 2, result.stderr
    return result.stderr


async def test_safety_commands(database_url: str, tmp_path: Path) -> None:
    env = cli_env(database_url, tmp_path)
    for name in ("alice", "bob"):
        result = run_cli(["user", "add", name, "--password-stdin"], env,
                         stdin="a long password\n")
        assert result.returncode == 0, result.stderr

    assert "alice: blocking bob@dreamfeed.test" in _ok(["block", "alice", "bob"], env)
    assert "bob@dreamfeed.test" in _ok(["blocks", "alice"], env)
    assert "cannot block itself" in _refused(["block", "alice", "alice"], env)
    assert "no local account named 'nobody'" in _refused(["block", "alice", "nobody"], env)
    assert "no longer blocking" in _ok(["unblock", "alice", "bob@dreamfeed.test"], env)
    assert "does not block" in _refused(["unblock", "alice", "bob"], env)
    assert "blocks 0 accounts" in _ok(["blocks", "alice"], env)

    out = _ok(["mute", "alice", "bob", "--keep-notifications", "--duration", "600"], env)
    assert "muting bob@dreamfeed.test (posts) until 20" in out
    assert "(posts, until" in _ok(["mutes", "alice"], env)
    assert "must be a positive number" in _refused(["mute", "alice", "bob", "--duration",
                                                    "soon"], env)
    assert "no longer muting" in _ok(["unmute", "alice", "bob"], env)
    assert "does not mute" in _refused(["unmute", "alice", "bob"], env)

    out = _ok(["filter", "add", "alice", "#AIGenerated", "--context", "home,public",
               "--warn", "--no-whole-word", "--expires-in", "3600"], env)
    match = re.search(r"filter (\d+) added: '#AIGenerated' \(anywhere\) warn in home, public",
                      out)
    assert match, out
    listing = _ok(["filter", "list", "alice"], env)
    assert listing.startswith(match.group(1)) and "expires 20" in listing
    assert "contexts are" in _refused(["filter", "add", "alice", "x", "--context", "inbox"],
                                      env)
    assert "needs a phrase" in _refused(["filter", "add", "alice", "  "], env)
    assert "has no filter" in _refused(["filter", "remove", "bob", match.group(1)], env)
    assert "removed" in _ok(["filter", "remove", "alice", match.group(1)], env)
    assert "no filters" in _ok(["filter", "list", "alice"], env)

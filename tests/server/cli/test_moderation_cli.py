"""`dreamfeed admin domain ...` and `dreamfeed admin account ...` in-process against a real
database of each kind, ending with the audit log they wrote."""

from __future__ import annotations

import asyncio
import io

import pytest

from server.cli import main


@pytest.fixture
def cli_env(clean_env: None, database_url: str, tmp_path: object,
            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DREAMFEED_DATABASE_URL", database_url)
    monkeypatch.setenv("DREAMFEED_INSTANCE_DOMAIN", "dreamfeed.test")
    monkeypatch.setenv("DREAMFEED_MEDIA_PATH", f"{tmp_path}/media")


async def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def test_domain_commands(cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    # The first command on this test's new instance says that it creates one, and where.
    code, out, err = await run(capsys, "admin", "domain", "list")
    assert (code, out) == (0, "no blocked domains\n")
    assert err == "" or err.startswith("dreamfeed: no database at ")  # SQLite: a new file
    code, out, _ = await run(capsys, "admin", "domain", "block", "Spam.Example",
                             "--severity", "suspend", "--reject-media",
                             "--public-comment", "spam", "--private-comment", "see #12")
    assert (code, out) == (0, "spam.example blocked: suspend, media rejected\n")
    code, out, _ = await run(capsys, "admin", "domain", "block", "loud.example")
    assert out == "loud.example blocked: silence\n"
    code, out, _ = await run(capsys, "admin", "domain", "block", "loud.example")
    assert out == "loud.example already blocked: silence\n"
    code, out, _ = await run(capsys, "admin", "domain", "block", "spam.example",
                             "--severity", "silence")
    assert out == "spam.example block updated: silence\n"
    code, out, _ = await run(capsys, "admin", "domain", "list")
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines] == [["loud.example", "silence"],
                                                   ["spam.example", "silence"]]
    assert lines[1].endswith("public: spam  private: see #12")

    assert (await run(capsys, "admin", "domain", "unblock", "loud.example"))[1] == \
        "loud.example unblocked (was silence)\n"
    code, out, err = await run(capsys, "admin", "domain", "unblock", "loud.example")
    assert (code, out, err) == (1, "", "dreamfeed: loud.example is not blocked\n")
    code, _, err = await run(capsys, "admin", "domain", "block", "dreamfeed.test")
    assert code == 1 and "own domain" in err
    with pytest.raises(SystemExit):  # argparse refuses an unknown severity
        await run(capsys, "admin", "domain", "block", "x.example", "--severity", "nuke")
    capsys.readouterr()

    code, out, _ = await run(capsys, "admin", "domain", "allow", "friends.example")
    assert out.splitlines() == [
        "friends.example allowed",
        "note: [federation] allowlist_mode is off; the allow-list has no effect"]
    code, out, _ = await run(capsys, "admin", "domain", "allowed")
    assert out == "allow-list mode is off; 1 domain(s) allowed\nfriends.example\n"
    code, out, _ = await run(capsys, "admin", "domain", "disallow", "friends.example")
    assert out == "friends.example removed from the allow-list\n"
    code, _, err = await run(capsys, "admin", "domain", "disallow", "friends.example")
    assert (code, err) == (1, "dreamfeed: friends.example is not on the allow-list\n")

    code, out, _ = await run(capsys, "admin", "audit")
    assert [line.split()[4] for line in out.splitlines()] == [
        "domain.disallow", "domain.allow", "domain.unblock", "domain.block", "domain.block",
        "domain.block"]


async def test_account_commands(cli_env: None, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    assert (await run(capsys, "user", "add", "alice", "--password-stdin"))[0] == 0
    code, out, _ = await run(capsys, "admin", "account", "suspend", "alice",
                             "--reason", "spam")
    assert (code, out) == (0, "alice@dreamfeed.test suspended\n")
    code, out, _ = await run(capsys, "admin", "account", "silence", "@alice@dreamfeed.test")
    assert out == "alice@dreamfeed.test silenced\n"
    code, out, _ = await run(capsys, "admin", "account", "show", "alice")
    lines = out.splitlines()
    assert lines[0] == "alice@dreamfeed.test  (local)  https://dreamfeed.test/users/alice"
    assert lines[1].startswith("suspended: since ") and lines[2].startswith("silenced: since ")
    assert lines[3] == "posts: 0  followers: 0  following: 0"
    code, _, err = await run(capsys, "admin", "account", "suspend", "alice")
    assert (code, err) == (1, "dreamfeed: alice@dreamfeed.test is already suspended\n")
    assert (await run(capsys, "admin", "account", "unsuspend", "alice"))[1] == \
        "alice@dreamfeed.test unsuspended\n"
    assert (await run(capsys, "admin", "account", "unsilence", "alice"))[1] == \
        "alice@dreamfeed.test unsilenced\n"
    code, out, _ = await run(capsys, "admin", "account", "show", "alice")
    assert out.splitlines()[1:3] == ["suspended: no", "silenced: no"]
    code, _, err = await run(capsys, "admin", "account", "show", "bob@elsewhere.example")
    assert (code, err) == (1, "dreamfeed: no known account 'bob@elsewhere.example'\n")

    code, out, _ = await run(capsys, "admin", "audit", "--action", "account.suspend")
    [line] = out.splitlines()
    assert line.endswith('account.suspend  account:alice@dreamfeed.test {"reason": "spam"}')
    code, out, _ = await run(capsys, "admin", "audit")
    assert [line.split()[4] for line in out.splitlines()] == [
        "account.unsilence", "account.unsuspend", "account.silence", "account.suspend"]

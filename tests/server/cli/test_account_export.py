"""`dreamfeed user export` writes Mastodon's archive layout plus prompts and CSV exports;
`dreamfeed user delete` and `dreamfeed user alias` from the command line."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import make_sessionmaker
from storage.models import (
    Account,
    AccountDomainBlock,
    Block,
    Favourite,
    Follow,
    Mute,
    Status,
)
from tests.server.cli.cli_helpers import cli_env, run_cli


async def _ids(engine: AsyncEngine, *names: str) -> list[int]:
    async with make_sessionmaker(engine)() as session:
        rows = (await session.execute(select(Account.username, Account.id).where(
            Account.username.in_(names)))).all()
    by_name = dict(rows)
    return [by_name[name] for name in names]


async def test_export_archive(engine: AsyncEngine, database_url: str, tmp_path: Path) -> None:
    env = cli_env(database_url, tmp_path, DREAMFEED_GENERATOR_SIZE="256x256")
    for name in ("alice", "bob", "carol", "dave"):
        assert run_cli(["user", "add", name, "--password-stdin"], env,
                       stdin="a long password\n").returncode == 0
    result = run_cli(["post", "alice", "--prompt", "a paper boat", "--caption", "Sail",
                      "--size", "256x256"], env)
    assert result.returncode == 0, result.stderr
    alice, bob, carol, dave = await _ids(engine, "alice", "bob", "carol", "dave")
    async with make_sessionmaker(engine).begin() as session:
        status = (await session.execute(select(Status))).scalar_one()
        session.add_all([
            Follow(account_id=alice, target_account_id=bob, state="accepted"),
            Mute(account_id=alice, target_account_id=carol, hide_notifications=False),
            Block(account_id=alice, target_account_id=dave),
            Favourite(account_id=alice, status_id=status.id),
            AccountDomainBlock(account_id=alice, domain="evil.test"),
            AccountDomainBlock(account_id=bob, domain="not-alices.test"),
        ])
    async with make_sessionmaker(engine).begin() as session:
        session.add(AccountDomainBlock(account_id=alice, domain="xn--bcher-kva.test"))

    output = tmp_path / "alice.zip"
    result = run_cli(["user", "export", "alice", "--output", str(output)], env)
    assert result.returncode == 0, result.stderr
    result = run_cli(["user", "export", "alice", "--output", str(output)], env)
    assert result.returncode == 1 and "exists already" in result.stderr

    with zipfile.ZipFile(output) as archive:
        names = set(archive.namelist())
        actor = json.loads(archive.read("actor.json"))
        outbox = json.loads(archive.read("outbox.json"))
        likes = json.loads(archive.read("likes.json"))
        prompts = json.loads(archive.read("prompts.json"))
        following = archive.read("following_accounts.csv").decode()
        muted = archive.read("muted_accounts.csv").decode()
        blocked = archive.read("blocked_accounts.csv").decode()
        blocked_domains = archive.read("blocked_domains.csv").decode()
        [create] = outbox["orderedItems"]
        [attachment] = create["object"]["attachment"]
        image = archive.read(attachment["url"])
    assert {"actor.json", "outbox.json", "likes.json", "bookmarks.json",
            "prompts.json"} <= names
    assert actor["preferredUsername"] == "alice" and actor["outbox"] == "outbox.json"
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 1
    assert create["type"] == "Create" and create["object"]["id"] == status.uri
    assert create["object"]["prompt"] == "a paper boat"  # the author's own archive
    assert attachment["url"].startswith("media_attachments/files/") and image[:4] in (
        b"\x89PNG", b"RIFF", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1", b"\xff\xd8\xff\xdb")
    assert likes["orderedItems"] == [status.uri]
    assert prompts[0]["status"] == status.uri and prompts[0]["prompt"] == "a paper boat"
    assert prompts[0]["published"] is False
    assert list(csv.reader(io.StringIO(following))) == [
        ["Account address", "Show boosts", "Notify on new posts", "Languages"],
        ["bob@dreamfeed.test", "true", "false", ""]]
    assert list(csv.reader(io.StringIO(muted))) == [
        ["Account address", "Hide notifications"], ["carol@dreamfeed.test", "false"]]
    assert blocked == "dave@dreamfeed.test\n"
    # Mastodon's blocked_domains.csv: one domain a line, no header (newest block first here)
    assert blocked_domains == "xn--bcher-kva.test\nevil.test\n"


async def test_delete_and_alias_commands(engine: AsyncEngine, database_url: str,
                                         tmp_path: Path) -> None:
    env = cli_env(database_url, tmp_path)
    assert run_cli(["user", "add", "alice", "--password-stdin"], env,
                   stdin="a long password\n").returncode == 0

    result = run_cli(["user", "alias", "list", "alice"], env)
    assert result.returncode == 0 and "alice has no aliases" in result.stdout
    result = run_cli(["user", "alias", "add", "alice", "alice@dreamfeed.test"], env)
    assert result.returncode == 1 and "itself" in result.stderr

    result = run_cli(["user", "delete", "alice"], env)
    assert result.returncode == 1 and "--yes" in result.stderr
    result = run_cli(["user", "delete", "alice", "--yes"], env)
    assert result.returncode == 0, result.stderr
    assert "deleted @alice@dreamfeed.test" in result.stdout
    result = run_cli(["user", "delete", "alice", "--yes"], env)
    assert result.returncode == 1 and "already deleted" in result.stderr
    result = run_cli(["user", "add", "alice", "--password-stdin"], env,
                     stdin="a long password\n")
    assert result.returncode == 1 and "deleted account" in result.stderr
    result = run_cli(["user", "export", "alice", "--output", str(tmp_path / "x.zip")], env)
    assert result.returncode == 1 and "deleted" in result.stderr

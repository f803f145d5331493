"""`dreamfeed post` generates and posts in one command; `dreamfeed posts` edits and deletes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import make_sessionmaker
from storage.models import MediaAttachment, Status
from tests.server.cli.cli_helpers import cli_env, run_cli


async def test_post_edit_delete(engine: AsyncEngine, database_url: str, tmp_path: Path) -> None:
    env = cli_env(database_url, tmp_path, DREAMFEED_GENERATOR_SIZE="256x256")
    assert run_cli(["user", "add", "alice", "--password-stdin"], env,
                   stdin="a long password\n").returncode == 0
    result = run_cli(["post", "alice", "--prompt", "a paper boat", "--caption", "Sail #boat",
                      "--alt-from-prompt", "--visibility", "unlisted", "--size", "256x256"],
                     env)
    assert result.returncode == 0, result.stderr
    assert "posted" in result.stdout and "(unlisted)" in result.stdout
    async with make_sessionmaker(engine)() as session:
        status = (await session.execute(select(Status))).scalar_one()
        media = (await session.execute(select(MediaAttachment))).scalar_one()
    assert status.visibility == "unlisted" and "#<span>boat</span>" in status.content
    assert media.status_id == status.id and media.description == "a paper boat"

    result = run_cli(["posts", "edit", "alice", str(status.id), "--caption", "Sailing"], env)
    assert result.returncode == 0, result.stderr
    result = run_cli(["posts", "delete", "alice", str(status.id)], env)
    assert result.returncode == 0, result.stderr
    async with make_sessionmaker(engine)() as session:
        refreshed = await session.get(Status, status.id)
    assert refreshed is not None and refreshed.deleted_at is not None
    assert "Sailing" in refreshed.content

    result = run_cli(["posts", "delete", "alice", str(status.id)], env)
    assert result.returncode == 1 and "no post" in result.stderr
    result = run_cli(["post", "nobody", "--prompt", "x"], env)
    assert result.returncode == 1 and "no local user" in result.stderr

"""`dreamfeed jobs list|retry|purge` in-process, and `dreamfeed worker` as a real process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from server.cli import main
from storage import jobs as job_store
from storage.types import utcnow
from tests.server.jobs.conftest import add_job, all_jobs, one_job

DREAMFEED = Path(sys.executable).with_name("dreamfeed")
LEASE = timedelta(seconds=60)


@pytest.fixture
def cli_env(clean_env: None, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DREAMFEED_DATABASE_URL", database_url)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def dead_job(sessionmaker: async_sessionmaker[AsyncSession], kind: str,
                   error: str) -> int:
    # Due long before any other job, so it is the one claimed.
    job_id = await add_job(sessionmaker, kind, run_at=utcnow() - timedelta(days=1))
    assert job_id is not None
    async with sessionmaker() as session, session.begin():
        claimed = await job_store.claim_jobs(session, worker="w", limit=1, lease=LEASE)
        assert [j.id for j in claimed] == [job_id]
        await job_store.dead_letter_job(session, job_id, worker="w", error=error)
    return job_id


async def test_list_shows_a_table_and_filters(
        cli_env: None, sessionmaker: async_sessionmaker[AsyncSession],
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = await asyncio.to_thread(run, capsys, "jobs", "list")
    assert (code, out) == (0, "no jobs\n0 queued, 0 running, 0 dead\n")

    queued = await add_job(sessionmaker, "deliver", {"inbox": "x"})
    dead = await dead_job(sessionmaker, "generate", "PermanentJobError: " + "bad prompt " * 20)
    code, out, _ = await asyncio.to_thread(run, capsys, "jobs", "list")
    assert code == 0
    header, first, second, totals = out.splitlines()
    assert header.split() == ["ID", "KIND", "STATE", "ATTEMPTS", "RUN", "AT", "(UTC)",
                              "LAST", "ERROR"]
    assert first.split()[:4] == [str(queued), "deliver", "queued", "0"]
    assert second.split()[:4] == [str(dead), "generate", "dead", "1"]
    assert second.endswith("PermanentJobError: bad prompt bad prompt bad prompt bad pro…")
    assert len(second) < 160
    assert totals == "1 queued, 0 running, 1 dead"

    code, out, _ = await asyncio.to_thread(run, capsys, "jobs", "list", "--state", "dead")
    assert [line.split()[0] for line in out.splitlines()[1:-1]] == [str(dead)]
    code, out, _ = await asyncio.to_thread(run, capsys, "jobs", "list", "--kind", "deliver",
                                           "--limit", "5")
    assert [line.split()[0] for line in out.splitlines()[1:-1]] == [str(queued)]
    code, out, _ = await asyncio.to_thread(run, capsys, "jobs", "list", "--limit", "1")
    assert [line.split()[0] for line in out.splitlines()[1:-1]] == [str(queued)]
    code, out, _ = await asyncio.to_thread(run, capsys, "jobs", "list", "--limit", "1",
                                           "--after", str(queued))
    assert [line.split()[0] for line in out.splitlines()[1:-1]] == [str(dead)]


async def test_retry_and_purge_dead_jobs(
        cli_env: None, sessionmaker: async_sessionmaker[AsyncSession],
        capsys: pytest.CaptureFixture[str]) -> None:
    first = await dead_job(sessionmaker, "deliver", "E: 1")
    second = await dead_job(sessionmaker, "deliver", "E: 2")
    third = await dead_job(sessionmaker, "deliver", "E: 3")
    queued = await add_job(sessionmaker, "deliver")

    code, out, _ = await asyncio.to_thread(run, capsys, "jobs", "retry", str(first))
    assert (code, out) == (0, "requeued 1 dead job\n")
    job = await one_job(sessionmaker, first)
    assert (job.state, job.attempts) == ("queued", 0)

    # Ids that are not dead jobs are reported, not silently skipped.
    code, out, err = await asyncio.to_thread(run, capsys, "jobs", "retry", str(second),
                                             str(queued), "12345")
    assert (code, out) == (1, "requeued 1 dead job\n")
    assert err == "dreamfeed: 2 of the given ids are not dead jobs\n"

    code, out, _ = await asyncio.to_thread(run, capsys, "jobs", "purge", "--older-than-days", "1")
    assert (code, out) == (0, "purged 0 dead jobs\n")  # the dead one died just now
    code, out, _ = await asyncio.to_thread(run, capsys, "jobs", "purge")
    assert (code, out) == (0, "purged 1 dead job\n")
    assert {j.id for j in await all_jobs(sessionmaker)} == {first, second, queued}

    await dead_job(sessionmaker, "deliver", "E: 4")
    code, out, _ = await asyncio.to_thread(run, capsys, "jobs", "retry", "--all-dead")
    assert (code, out) == (0, "requeued 1 dead job\n")
    assert {j.state for j in await all_jobs(sessionmaker)} == {"queued"}
    assert third not in {j.id for j in await all_jobs(sessionmaker)}


def test_commands_refuse_an_unmigrated_database(
        clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # The check reads Alembic's revision the same way on both databases; SQLite suffices.
    database = tmp_path / "new.db"
    monkeypatch.setenv("DREAMFEED_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    # No file at all: refused, and none is left behind.
    code, out, err = run(capsys, "jobs", "list")
    assert (code, out) == (1, "")
    assert err.startswith(f"dreamfeed: no database at {database}: start the instance first")
    assert not database.exists()
    # An empty database (a file, no schema).
    database.touch()
    code, out, err = run(capsys, "jobs", "list")
    assert (code, out) == (1, "")
    assert err == ("dreamfeed: the database schema is not up to date; "
                   "run `dreamfeed db upgrade`\n")


def test_retry_needs_ids_or_all_dead(clean_env: None, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    for argv in (["jobs", "retry"], ["jobs", "retry", "1", "--all-dead"]):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
    assert "one of the arguments ID --all-dead is required" in capsys.readouterr().err


async def test_worker_runs_jobs_until_sigterm(
        database_url: str, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession],
        tmp_path: Path) -> None:
    # No handlers are registered yet, so the job fails in a recognisable way: proof it ran.
    job_id = await add_job(sessionmaker, "not-yet-known")
    assert job_id is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("DREAMFEED_")}
    env |= {"DREAMFEED_DATABASE_URL": database_url, "DREAMFEED_JOBS_POLL_INTERVAL": "0.05",
            "DREAMFEED_LOGGING_LEVEL": "WARNING",
            "DREAMFEED_JOBS_BACKOFF_BASE_SECONDS": "1000"}  # no second attempt in this test
    proc = subprocess.Popen([str(DREAMFEED), "worker", "--concurrency", "2"], env=env,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 20
        while (await one_job(sessionmaker, job_id)).attempts == 0:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the worker never took the job"
            await asyncio.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "running 2 at a time" in out
    assert out.endswith("worker stopped\n")
    assert "job failed; will retry" in err
    job = await one_job(sessionmaker, job_id)
    assert (job.state, job.attempts) == ("queued", 1)
    assert job.last_error == "UnknownJobKind: no handler registered for job kind 'not-yet-known'"

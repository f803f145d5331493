"""A worker process for the SIGKILL tests: it runs `sleepy` jobs, each of which leaves a marker
file (holding its attempt number) and then sleeps until the process is killed, and `batchy`
jobs in batches, whose handler writes the batch's job ids (space-separated) to the marker and
then sleeps the same way.

Usage: python killable_worker.py DATABASE_URL MARKER_PATH
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from server.config import build_config
from server.jobs.registry import JobContext, JobRegistry, JobResources
from server.jobs.worker import WorkerPool
from storage.database import make_engine, make_sessionmaker


async def main(database_url: str, marker: Path) -> None:
    # A 1 s lease, renewed by the heartbeat while this process lives.
    config = build_config({"database": {"url": database_url},
                           "jobs": {"lease_seconds": 1, "poll_interval": 0.05}})
    registry = JobRegistry()

    @registry.handler("sleepy")
    async def sleepy(ctx: JobContext, payload: dict[str, Any]) -> None:
        marker.write_text(str(ctx.attempt))
        await asyncio.sleep(3600)

    async def batchy(ctxs: Sequence[JobContext], payloads: Sequence[dict[str, Any]]
                     ) -> list[Exception | None]:
        marker.write_text(" ".join(str(ctx.job_id) for ctx in ctxs))
        await asyncio.sleep(3600)
        return [None] * len(ctxs)

    registry.register_batch("batchy", batchy, max_batch=50)
    engine = make_engine(database_url)
    pool = WorkerPool(JobResources(config=config, sessionmaker=make_sessionmaker(engine)),
                      registry, concurrency=1)
    await pool.start()
    await asyncio.Event().wait()  # until SIGKILL


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))

"""What operators and load balancers read: the instance's state for /metrics (from the
database, so every process reports the same numbers) and the readiness check."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from server import __version__
from server.metrics import ClusterState
from server.services.context import Services
from server.services.streaming.bus import BusUnavailable
from storage import operations as operation_queries
from storage.database import DatabaseUnavailable, check_connection

# Seconds each readiness check may take: a load balancer probes every few seconds and must
# get an answer before its own timeout, whatever the database is doing.
CHECK_TIMEOUT = 2.0


async def cluster_state(services: Services) -> ClusterState:
    async with services.db.reader() as session:
        jobs = await operation_queries.job_counts(session)
        failing, paused = await operation_queries.delivery_host_counts(session)
    return ClusterState(version=__version__, jobs=jobs, hosts_failing=failing,
                        hosts_paused=paused)


@dataclass(frozen=True)
class Readiness:
    # Each check's name and its problem (None: fine).
    checks: dict[str, str | None]

    @property
    def ready(self) -> bool:
        return all(problem is None for problem in self.checks.values())


async def readiness(services: Services) -> Readiness:
    """The database answers a query, and Redis when the bus uses it; each within
    CHECK_TIMEOUT. The readers' pool is asked (on SQLite the one writer connection is left
    to the writes: a probe every few seconds must not queue behind them)."""
    checks: dict[str, str | None] = {
        "database": await _timed(check_connection(services.db.read_engine))}
    if services.config.streaming.redis_url and services.stream is not None:
        checks["redis"] = await _timed(services.stream.ping_redis())
    return Readiness(checks)


async def _timed(check: Coroutine[Any, Any, None]) -> str | None:
    try:
        await asyncio.wait_for(check, CHECK_TIMEOUT)
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT:g} s"
    except (DatabaseUnavailable, BusUnavailable) as exc:
        return str(exc)
    return None

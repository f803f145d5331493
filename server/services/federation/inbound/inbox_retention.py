"""How long received activities are kept: `federation.inbox_retention_days`.

A row is what recognises a redelivery (the dedup window) and says what became of an
activity; its body goes as soon as it is applied or ignored (storage.inbox.mark). The rows
themselves go after the retention, by an hourly `inbox.purge` job, so that what other servers
send cannot grow the database without bound.

The job re-enqueues itself, one job per hour slot (the dedupe key names the slot): a restart
seeding the chain again, or two chains meeting, make one job, not two.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from server.config import Config
from server.jobs.queue import enqueue
from storage import inbox as inbox_store
from storage.database import Database
from storage.types import utcnow

log = logging.getLogger(__name__)

PURGE_INBOX = "inbox.purge"
INTERVAL_SECONDS = 3600


def _slot_start(slot: int) -> datetime:
    return datetime.fromtimestamp(slot * INTERVAL_SECONDS, UTC)


async def schedule_purge(db: Database, after_slot: int | None = None) -> None:
    """Enqueue the next purge at the start of an hour. At start (no `after_slot`), an hour
    or more away: nothing short-lived (a test, a CLI command) finds it due. By each run, the
    next hour, and always after `after_slot`, the run's own: a run a little early (a clock
    ahead) must still queue a later slot than its own, or the chain would end."""
    now_slot = int(utcnow().timestamp()) // INTERVAL_SECONDS
    slot = now_slot + 2 if after_slot is None else max(now_slot + 1, after_slot + 1)
    async with db.writer.begin() as session:
        await enqueue(session, PURGE_INBOX, {"slot": slot}, run_at=_slot_start(slot),
                      dedupe_key=f"{PURGE_INBOX}:{slot}")


async def purge_expired(db: Database, config: Config, now: datetime | None = None) -> int:
    """Delete rows received more than the retention ago, a chunk per transaction; returns
    how many went."""
    cutoff = (now or utcnow()) - timedelta(days=config.federation.inbox_retention_days)
    total = 0
    while True:
        async with db.writer.begin() as session:
            removed = await inbox_store.purge_older_than(session, cutoff)
        total += removed
        if removed < inbox_store.PURGE_CHUNK:
            break
    if total:
        log.info("purged %d received activities older than %s", total, cutoff.isoformat())
    return total


async def purge_job(db: Database, config: Config, slot: int | None) -> int:
    # The next run is queued first, so a failing purge cannot end the chain.
    await schedule_purge(db, after_slot=slot)
    return await purge_expired(db, config)

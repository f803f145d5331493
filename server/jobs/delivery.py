"""The `deliver` job: sign one stored activity at send time and POST it to one inbox.

Jobs run a batch at a time (`deliver_many`, registered as a batch kind: a lone job is a batch
of one), which reads the activities, their keys and their hosts' health once for the batch;
each job still succeeds, retries or dies on its own answer, by the policy below.

Retry policy, in one screen:
- 2xx: delivered; the host is healthy again.
- 401, 408, 429, 5xx (but 501) and network errors: retried with backoff by the queue; 429
  honours Retry-After. Network errors, 408, 429 and 5xx also count against the host: after
  each such failure the whole host is paused (30 s doubling to a day, with jitter), and every
  delivery to it waits for the pause to end instead of hammering it message by message.
- 410 from a personal inbox: that account is gone here too; from a shared inbox it names
  nobody. Either way there is no point retrying.
- Any other 4xx and 501, an address we may not reach, a bad URL: permanent, dead-lettered with
  the reason (kept, listed by `dreamfeed jobs list --state dead`, retryable by hand).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from activitypub.http import FetchError
from activitypub.parse import host_of
from activitypub.vocab import ACTIVITY_JSON
from server.jobs.queue import PermanentJobError, Postpone, RetryAfter
from server.jobs.registry import JobContext
from server.services.context import Services, SigningKey
from server.services.federation.outbound.signing import signer
from server.services.moderation.domain_policy import DomainRules
from storage import accounts as account_queries
from storage import delivery_hosts
from storage import follows as follow_queries
from storage import outgoing_activities as outgoing_queries
from storage.models import DeliveryHost
from storage.outgoing_activities import ToSign
from storage.types import utcnow

log = logging.getLogger(__name__)

# Deliveries one worker task sends together (the queue gives it up to this many due `deliver`
# jobs from its buffer). With 16, 32 and 64 the bench delivered at the ceiling alike; one at a
# time it spent ~10 ms of CPU a delivery on the session and three reads of each job.
DELIVER_BATCH = 32
HOST_PAUSE_BASE = 30.0
HOST_PAUSE_MAX = 86_400.0
RETRYABLE_STATUSES = frozenset({401, 408, 429})
HOST_FAILURE_STATUSES = frozenset({408, 429})


class DeliveryFailed(Exception):
    """A transient failure: the queue retries it with backoff."""


def host_pause(failures: int, rng: random.Random | None = None) -> float:
    """Seconds to pause a host after its n-th consecutive failure (jittered ±20%)."""
    rng = rng or random.Random()
    base = min(HOST_PAUSE_BASE * 2.0 ** max(failures - 1, 0), HOST_PAUSE_MAX)
    return base * rng.uniform(0.8, 1.2)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


async def deliver_many(ctxs: Sequence[JobContext], payloads: Sequence[dict[str, Any]]
                       ) -> list[Exception | None]:
    """Several deliveries at once (a batch handler: per job, in order, what it raised).

    Their shared reads are made once: one statement for the activities with their signing
    keys, one for the health of their hosts, and each body is serialized once. The requests
    then go out concurrently over the HTTP client's kept-alive connections, and each job is
    judged alone by its own answer; hosts that answered and had a failure on record are reset
    in one transaction."""
    services = ctxs[0].resources.require_services()
    rules = await services.domains.rules()
    inboxes = [str(p["inbox"]) for p in payloads]
    async with services.db.reader() as session:
        activities = await outgoing_queries.to_sign(
            session, {int(p["outgoing_id"]) for p in payloads})
        health = await delivery_hosts.get_many(session, {host_of(i) for i in inboxes})
    bodies = {outgoing_id: json.dumps(a.body).encode() for outgoing_id, a in activities.items()}
    now = utcnow()
    sends = [_deliver_one(services, rules, inbox, activities.get(int(payload["outgoing_id"])),
                          bodies.get(int(payload["outgoing_id"]), b""), health, now)
             for inbox, payload in zip(inboxes, payloads, strict=True)]
    outcomes = await asyncio.gather(*sends, return_exceptions=True)
    errors: list[Exception | None] = []
    recovered: set[str] = set()
    for inbox, outcome in zip(inboxes, outcomes, strict=True):
        if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
            raise outcome  # cancelled: the queue hands the whole batch back
        errors.append(outcome if isinstance(outcome, Exception) else None)
        if outcome is True:
            recovered.add(host_of(inbox))
    if recovered:
        try:
            async with services.db.writer.begin() as session:
                await delivery_hosts.record_successes(session, recovered)
        except Exception as exc:  # delivered, but not recorded: sending again is allowed
            errors = [exc if error is None and host_of(inbox) in recovered else error
                      for inbox, error in zip(inboxes, errors, strict=True)]
    return errors


async def _deliver_one(services: Services, rules: DomainRules, inbox: str,
                       activity: ToSign | None, body: bytes, health: dict[str, DeliveryHost],
                       now: datetime) -> bool:
    """Send one; True when its host answered and had a failure on record (to reset), False
    when there is nothing to record. Raises what the job should fail with."""
    host = host_of(inbox)
    if not rules.url_allowed(inbox):
        # The server was suspended (or left the allow-list) after this was queued: never
        # sent, not retried. (A suspended actor's own inbox is skipped when fanning out, but
        # the Reject of its follows must still reach it.)
        log.info("delivery to %s dropped: suspended on this instance", inbox)
        return False
    if activity is None:
        return False  # withdrawn (its account was deleted): nothing left to send
    if activity.key_id is None or activity.private_key_pem is None:
        raise PermanentJobError(f"account {activity.account_id} has no signing key")
    known = health.get(host)
    if known is not None and known.paused_until is not None and known.paused_until > now:
        raise Postpone(known.paused_until, f"{host} is paused after "
                       f"{known.consecutive_failures} failures: {known.last_error}")
    try:
        response = await services.http.post(
            inbox, body, headers={"Content-Type": ACTIVITY_JSON},
            sign=signer(SigningKey(activity.key_id, activity.private_key_pem)))
    except FetchError as exc:
        if not exc.retryable:
            raise PermanentJobError(f"cannot deliver to {inbox}: {exc}") from None
        await _host_failed(services, host, str(exc))
        raise DeliveryFailed(f"{inbox}: {exc}") from None
    await _classify(services, inbox, host, response.status,
                    response.headers.get("Retry-After"), utcnow())
    return known is not None  # healthy hosts have no row: nothing to reset, no write


async def _classify(services: Services, inbox: str, host: str, status: int,
                    retry_after: str | None, now: datetime) -> None:
    """Returns for a 2xx; otherwise records what the answer says and raises."""
    if 200 <= status < 300:
        return
    if status == 410:
        await _inbox_gone(services, inbox)
        raise PermanentJobError(f"{inbox} answered 410 Gone")
    error = f"{inbox} answered HTTP {status}"
    if status in HOST_FAILURE_STATUSES or (status >= 500 and status != 501):
        pause = await _host_failed(services, host, error)
        if status == 429:
            wait = retry_after_seconds(retry_after, now)
            raise RetryAfter(max(wait or 0.0, pause), error)
        raise DeliveryFailed(error)
    if status in RETRYABLE_STATUSES:
        raise DeliveryFailed(error)
    raise PermanentJobError(error)


async def _host_failed(services: Services, host: str, error: str) -> float:
    async with services.db.writer.begin() as session:
        health = await delivery_hosts.get(session, host)
        failures = (health.consecutive_failures if health else 0) + 1
        pause = host_pause(failures)
        await delivery_hosts.record_failure(session, host, error,
                                            utcnow() + timedelta(seconds=pause))
    log.warning("delivery host %s paused for %.0f s after %d failures: %s",
                host, pause, failures, error)
    return pause


async def _inbox_gone(services: Services, inbox: str) -> None:
    """A personal inbox answering 410 means its account was deleted; a shared one names
    nobody in particular."""
    async with services.db.writer.begin() as session:
        account = await account_queries.remote_account_by_inbox(session, inbox)
        if account is None or account.shared_inbox_url == inbox:
            return
        await follow_queries.delete_follows_involving(session, account.id)
        account.deleted_at = utcnow()

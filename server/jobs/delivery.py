"""The `deliver` job: sign one stored activity at send time and POST it to one inbox.

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

import json
import logging
import random
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
from storage import accounts as account_queries
from storage import delivery_hosts
from storage import follows as follow_queries
from storage.models import OutgoingActivity
from storage.types import utcnow

log = logging.getLogger(__name__)

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


async def deliver(ctx: JobContext, payload: dict[str, Any]) -> None:
    services = ctx.resources.require_services()
    inbox = str(payload["inbox"])
    host = host_of(inbox)
    if not (await services.domains.rules()).url_allowed(inbox):
        # The server was suspended (or left the allow-list) after this was queued: never
        # sent, not retried. (A suspended actor's own inbox is skipped when fanning out, but
        # the Reject of its follows must still reach it.)
        log.info("delivery to %s dropped: suspended on this instance", inbox)
        return
    async with services.db.reader() as session:
        outgoing = await session.get(OutgoingActivity, int(payload["outgoing_id"]))
        if outgoing is None:
            return  # withdrawn (its account was deleted): nothing left to send
        key = await account_queries.signing_key(session, outgoing.account_id)
        health = await delivery_hosts.get(session, host)
    if key is None or key.private_key_pem is None:
        raise PermanentJobError(f"account {outgoing.account_id} has no signing key")
    now = utcnow()
    if health is not None and health.paused_until is not None and health.paused_until > now:
        raise Postpone(health.paused_until, f"{host} is paused after "
                       f"{health.consecutive_failures} failures: {health.last_error}")
    body = json.dumps(outgoing.body).encode()
    try:
        response = await services.http.post(
            inbox, body, headers={"Content-Type": ACTIVITY_JSON},
            sign=signer(SigningKey(key.key_id, key.private_key_pem)))
    except FetchError as exc:
        if not exc.retryable:
            raise PermanentJobError(f"cannot deliver to {inbox}: {exc}") from None
        await _host_failed(services, host, str(exc))
        raise DeliveryFailed(f"{inbox}: {exc}") from None
    await _classify(services, inbox, host, response.status,
                    response.headers.get("Retry-After"), now, host_known=health is not None)


async def _classify(services: Services, inbox: str, host: str, status: int,
                    retry_after: str | None, now: datetime, *, host_known: bool) -> None:
    if 200 <= status < 300:
        if host_known:  # healthy hosts have no row: nothing to reset, no write
            async with services.db.writer.begin() as session:
                await delivery_hosts.record_success(session, host)
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

"""Outgoing activities: record once, then one delivery job per distinct inbox.

The change that causes an activity and its delivery jobs are written in one transaction, so a
crash either loses both or neither. Signing happens when each job runs (server.jobs.delivery).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.jobs.queue import enqueue_many
from server.services.moderation.domain_policy import DomainRules
from storage import domain_blocks as domain_queries
from storage.models import Account, OutgoingActivity

DELIVER = "deliver"


def personal_inbox(account: Account) -> str:
    """For activities meant for one actor (Follow, Accept, Undo of a follow, Block)."""
    return account.inbox_url


def preferred_inbox(account: Account) -> str:
    """For activities that may also reach the actor's server through its followers (posts
    that mention it, boosts of its posts): the shared inbox when it has one, so its server
    gets one POST, as Mastodon's Account.inboxes (coalesce(nullif(shared_inbox_url, ''),
    inbox_url)). The receiving server routes by the addressing (to/cc), so a direct
    message reaches the mentioned actor through it too."""
    return account.shared_inbox_url or account.inbox_url


async def publish(session: AsyncSession, account_id: int, activity: dict[str, Any],
                  inboxes: Iterable[str], *, rules: DomainRules | None = None
                  ) -> OutgoingActivity:
    """Record `activity` (signed later by `account_id`) and queue its deliveries. Inboxes on
    suspended servers, and suspended actors' own inboxes, get nothing. Without `rules` they
    are read in this transaction (blocks only: the allow-list mode is config, which the
    `deliver` job enforces when it runs)."""
    if rules is None:
        rules = DomainRules.from_snapshot(await domain_queries.snapshot(session),
                                          own_domain="", allowlist_mode=False)
    inboxes = [i for i in inboxes if i and not rules.inbox_refused(i)]
    outgoing = OutgoingActivity(activity_id=activity["id"], account_id=account_id,
                                body=activity)
    session.add(outgoing)
    await session.flush()
    # One multi-row insert: a post to 10,000 followers must not hold SQLite's single writer
    # for one statement per inbox.
    await enqueue_many(session, DELIVER, [{"outgoing_id": outgoing.id, "inbox": inbox}
                                          for inbox in sorted({i for i in inboxes if i})])
    return outgoing

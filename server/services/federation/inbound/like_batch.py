"""On SQLite, a batch's Likes that need nothing from the network are written in one writer
transaction, a SAVEPOINT each, before the rest of the batch is applied.

SQLite has one writer connection: each Like applied alone queued for it, and held it for its
BEGIN, a dozen statements (each a hop to the connection's thread, delayed by whatever else the
event loop was running) and its COMMIT, so a batch's Likes were written one after the other at
the pace of those hops. Written back to back in one transaction, the hops follow each other
with nothing between, and the batch commits once.

Only a Like that waits on nothing joins: signed by its actor, of one of our posts that the
batch read (live), by an actor whose stored account needs no refetch, not stored already as
the batch read it. Anything else (a forwarded Like, an unknown actor) is applied as before,
never holding the writer across a network wait. Per actor, only the Likes before its first
other activity join, so an actor's activities still apply in the order received. A Like that
fails rolls back its savepoint alone (its job is retried alone, as before); a failed commit
fails them all, their rows stay `received` and they are applied again (at least once).
PostgreSQL keeps one transaction per Like, side by side: one long transaction per batch would
hold the liked posts' counter rows locked across the batch and make the batches wait on each
other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from activitypub.parse import ParsedActivity, ParseError, first_type, parse_activity, same_origin
from server.services.context import Services
from server.services.federation.inbound import batch_lookups, likes
from server.services.moderation.domain_policy import DomainRules
from server.services.streaming.publish import queued_events
from storage import inbox as inbox_store
from storage.database import is_sqlite
from storage.models import Account, InboxActivity


@dataclass(frozen=True)
class QuietLike:
    row: InboxActivity
    activity: ParsedActivity
    liker: Account


def take_quiet_likes(services: Services, rules: DomainRules, rows: Mapping[int, InboxActivity],
                     by_actor: dict[str, list[int]]) -> list[QuietLike]:
    """The Likes of the batch (within `batch_lookups.using`) written together; their ids are
    removed from `by_actor`'s lists, which keep what is left to apply one by one. None on
    PostgreSQL."""
    if not is_sqlite(services.db.url):
        return []
    taken: list[QuietLike] = []
    for row_ids in by_actor.values():
        while row_ids:
            quiet = _quiet_like(services, rules, rows.get(row_ids[0]))
            if quiet is None:
                break
            taken.append(quiet)
            row_ids.pop(0)
    return taken


def _quiet_like(services: Services, rules: DomainRules,
                row: InboxActivity | None) -> QuietLike | None:
    """The row as a Like to write with no network wait, or None."""
    if row is None or row.state != "received" or row.body is None \
            or first_type(row.body) != "Like" or row.signer_uri != row.actor_uri \
            or rules.actor_refused(row.actor_uri):
        return None
    try:
        activity = parse_activity(row.body)
    except ParseError:
        return None
    post = activity.object_id or ""
    # As inbox_apply would find it: signed by its actor (no refetch), of our post (concerns
    # us, no refetch of the object).
    if activity.actor != row.actor_uri or not same_origin(activity.id, activity.actor) \
            or not post.startswith(services.config.base_url + "/") \
            or not same_origin(post, services.config.base_url):
        return None
    status = batch_lookups.batch_post(post)
    liker = batch_lookups.fresh_account(activity.actor)
    if status is None or batch_lookups.missing_local_post(post) or liker is None \
            or batch_lookups.like_known(activity.id, liker.id, status) is not False:
        return None
    return QuietLike(row, activity, liker)


async def write_likes(services: Services, quiet: Iterable[QuietLike],
                      results: dict[int, str | Exception],
                      marks: list[inbox_store.Outcome]) -> None:
    """Write the Likes in one transaction; each one's outcome (or exception) into `results`
    and, once committed, its mark into `marks`."""
    done: list[tuple[QuietLike, str]] = []
    quiet = list(quiet)
    try:
        async with services.db.writer.begin() as session:
            events = queued_events(session)
            for like in quiet:
                queued = len(events)
                try:
                    async with session.begin_nested():
                        outcome = await likes.write_like(services, session, like.activity,
                                                         like.liker)
                except Exception as exc:
                    del events[queued:]  # its notification was rolled back with it
                    results[like.row.id] = exc
                    continue
                done.append((like, outcome))
    except Exception as exc:
        for like, _ in done:
            results[like.row.id] = exc
        return
    for like, outcome in done:
        results[like.row.id] = outcome
        marks.append(inbox_store.Outcome(
            like.row.id, "ignored" if outcome.startswith("ignored") else "applied", outcome))

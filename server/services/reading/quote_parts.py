"""Quotes as the client API shows them (Mastodon 4.5's REST::QuoteSerializer and
quote_approval): each status's quote with the quoted status once it is accepted and the
viewer may see it, and who may quote the status. Read for a whole page at once."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from server.render.to_mastodon.parts import QuoteApprovalParts, QuoteParts, StatusParts
from server.services.reading.quote_cards import offers
from server.services.statuses.quotes import ACCEPTED, policy_scopes
from storage import post_cards as card_queries
from storage import quotes as quote_queries
from storage import timelines as timeline_queries
from storage.models.quotes import Quote

Loader = Callable[[Sequence[int]], Awaitable[dict[int, StatusParts]]]
# Mastodon's order of the policy keys (InteractionPolicy::POLICY_FLAGS).
_SCOPE_ORDER = ("unsupported_policy", "public", "followers", "following")


async def attach(session: AsyncSession, made: dict[int, StatusParts],
                 viewer_account_id: int | None, load: Loader) -> dict[int, StatusParts]:
    """`made` with quote and quote_approval set (`load` reads the quoted statuses)."""
    originals = {p.status.id: p for p in made.values() if p.reblog is None}
    originals.update({p.reblog.status.id: p.reblog for p in made.values() if p.reblog})
    if not originals:
        return made
    ids = list(originals)
    quotes = await quote_queries.of_statuses(session, ids)
    quoted, gone = await _quoted(session, quotes.values(), viewer_account_id, load)
    approvals = await _approvals(session, list(originals.values()), viewer_account_id)
    done = {status_id: dataclasses.replace(
        parts, quote=_quote(quotes.get(status_id), quoted, gone),
        quote_approval=approvals[status_id]) for status_id, parts in originals.items()}
    result: dict[int, StatusParts] = {}
    for status_id, parts in made.items():
        if parts.reblog is not None:
            result[status_id] = dataclasses.replace(
                parts, reblog=done.get(parts.reblog.status.id, parts.reblog))
        else:
            result[status_id] = done.get(status_id, parts)
    return result


async def _quoted(session: AsyncSession, quotes: Iterable[Quote],
                  viewer_account_id: int | None, load: Loader
                  ) -> tuple[dict[int, StatusParts], set[int]]:
    """The accepted quoted statuses the viewer may see, each with its own quote shallow;
    and which quoted statuses are deleted."""
    wanted = [q.quoted_status_id for q in quotes
              if q.state == ACCEPTED and q.quoted_status_id is not None]
    if not wanted:
        return {}, set()
    live = await card_queries.statuses_with_authors(session, wanted)
    seen = await timeline_queries.visible(session, list(live), viewer_account_id)
    loaded = await load([i for i in wanted if i in seen])
    nested = await quote_queries.of_statuses(session, list(loaded))
    return {status_id: dataclasses.replace(parts, quote=QuoteParts(
        state=nested[status_id].state, quoted_status_id=nested[status_id].quoted_status_id,
        shallow=True) if status_id in nested else None)
        for status_id, parts in loaded.items()}, set(wanted) - set(live)


def _quote(quote: Quote | None, quoted: dict[int, StatusParts],
           gone: set[int]) -> QuoteParts | None:
    if quote is None:
        return None
    if quote.state != ACCEPTED:
        return QuoteParts(state=quote.state)
    if quote.quoted_status_id is None or quote.quoted_status_id in gone:
        return QuoteParts(state="deleted")
    inner = quoted.get(quote.quoted_status_id)
    if inner is None:  # hidden from the viewer
        return QuoteParts(state="unauthorized")
    return QuoteParts(state=ACCEPTED, quoted=inner)


async def _approvals(session: AsyncSession, statuses: list[StatusParts],
                     viewer_account_id: int | None) -> dict[int, QuoteApprovalParts]:
    rows = [p.status for p in statuses]
    policies = await quote_queries.policies_of(session, [s.id for s in rows])
    decided = await offers(session, rows, viewer_account_id)
    result: dict[int, QuoteApprovalParts] = {}
    for status in rows:
        automatic, manual = policy_scopes(status, policies.get(status.id))
        offer = decided.get(status.id)
        result[status.id] = QuoteApprovalParts(
            automatic=tuple(k for k in _SCOPE_ORDER if k in automatic),
            manual=tuple(k for k in _SCOPE_ORDER if k in manual),
            current_user=offer.verdict if offer else "unknown")
    return result

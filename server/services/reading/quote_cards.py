"""Quotes as the web app shows them: the quoted post as a small linked card (image, author,
caption) in the post that quotes it, the quote's state when it does not show (waiting for
approval, refused, removed by the quoted author, the quoted post gone or hidden from the
viewer), and whether the viewer may quote a post (the "Quote" action, or why not).

The card (`QuoteCard`) is the one the web templates draw with `_quote_card.html`; other
posts that point at a post (remixes: issue 21) can show the same card. A page's quotes are
read in a few queries, never one per post.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import quotes as wire
from server.i18n import N_
from server.render.sanitize import plain_text
from server.services.context import Services
from server.services.errors import NotFound
from server.services.reading.post_cards import (
    AccountCard,
    ImageCard,
    _local_image,
    _remote_image,
    account_card,
)
from server.services.statuses.quotes import (
    ACCEPTED,
    AUTOMATIC,
    DENIED,
    MANUAL,
    policy_scopes,
)
from storage import follows as follow_queries
from storage import post_cards as card_queries
from storage import quotes as quote_queries
from storage import timelines as timeline_queries
from storage.models import Account, Quote, Status

EXCERPT = 160
# What a quote that does not show says instead (Mastodon's states, and two of ours);
# translated where a page shows them (_quote_card.html).
STATE_LABELS = {
    "pending": N_("Waiting for the quoted author's approval"),
    "rejected": N_("The quoted author declined this quote"),
    "revoked": N_("The quoted author removed this quote"),
    "deleted": N_("The quoted post was deleted"),
    "unauthorized": N_("You cannot see the quoted post"),
    "unknown": N_("The quoted post is not available here"),
}

REMIX_LABELS = {
    "deleted": N_("Remix of a post that was deleted"),
    "unauthorized": N_("Remix of a post you cannot see"),
    "unknown": N_("Remix of a post that is not on this server"),
}


@dataclass(frozen=True)
class QuoteCard:
    """A post as a small card: inside the post that quotes it (or remixes it)."""

    quote_id: int
    state: str  # accepted, or why it does not show (STATE_LABELS)
    quoted_url: str  # the quoted post's page, here or on its server
    path: str | None = None  # its page here, when it shows
    author: AccountCard | None = None
    image: ImageCard | None = None
    images: int = 0
    text: str = ""  # the caption, plain and short
    spoiler_text: str = ""
    sensitive: bool = False  # its image is hidden until clicked: the card shows none
    revocable: bool = False  # the viewer wrote the quoted post and may remove the quote
    quoted_status_id: int | None = None  # the quoted post here (None: not fetched)

    @property
    def label(self) -> str:
        return STATE_LABELS.get(self.state, "")

    @property
    def remix_label(self) -> str:
        """The same, for a remix's card: only whether its remixed post shows here."""
        return REMIX_LABELS.get(self.state, REMIX_LABELS["unknown"])


@dataclass(frozen=True)
class QuoteOffer:
    """The viewer's "Quote" action on a post: allowed at once, after the author's approval,
    or not (with why: an N_ template without values, translated where it is shown)."""

    verdict: str
    reason: str = ""


async def quote_cards(services: Services, session: AsyncSession, status_ids: Sequence[int],
                      viewer_account_id: int | None) -> dict[int, QuoteCard]:
    """The quote card of each of these posts that quotes one, by quoting post id."""
    quotes = await quote_queries.of_statuses(session, status_ids)
    if not quotes:
        return {}
    quoted_ids = [q.quoted_status_id for q in quotes.values() if q.quoted_status_id]
    rows = await card_queries.statuses_with_authors(session, quoted_ids)
    seen = await timeline_queries.visible(session, list(rows), viewer_account_id)
    shown = await _summaries(services, session, {i: rows[i] for i in rows if i in seen})
    return {status_id: _quote_card(quote, rows, seen, shown, viewer_account_id)
            for status_id, quote in quotes.items()}


def _quote_card(quote: Quote, rows: dict[int, tuple[Status, Account]], seen: set[int],
                shown: dict[int, QuoteCard], viewer_account_id: int | None) -> QuoteCard:
    found = rows.get(quote.quoted_status_id) if quote.quoted_status_id else None
    url = found[0].url or found[0].uri if found else quote.quoted_uri
    revocable = viewer_account_id is not None and quote.state == ACCEPTED \
        and quote.quoted_account_id == viewer_account_id \
        and quote.account_id != viewer_account_id
    quoted = quote.quoted_status_id
    if quote.state != ACCEPTED:
        return QuoteCard(quote.id, quote.state, url, quoted_status_id=quoted)
    if quoted is not None and found is None:
        return QuoteCard(quote.id, "deleted", url, revocable=revocable, quoted_status_id=quoted)
    if found is None:
        return QuoteCard(quote.id, "unknown", url)
    if found[0].id not in seen:
        return QuoteCard(quote.id, "unauthorized", url, quoted_status_id=quoted)
    return dataclasses.replace(shown[found[0].id], quote_id=quote.id, revocable=revocable,
                               quoted_status_id=quoted)


async def remix_cards(services: Services, session: AsyncSession,
                      parents: dict[int, tuple[int | None, str | None]],
                      viewer_account_id: int | None) -> dict[int, QuoteCard]:
    """The remixed post of each remix as a card, by remix id; `parents` gives each remix's
    parent id here (None: not fetched) and its URI. A parent the viewer may not see, or one
    deleted, shows as such; one not here links to its server."""
    ids = [i for i, _ in parents.values() if i is not None]
    rows = await card_queries.statuses_with_authors(session, ids)
    seen = await timeline_queries.visible(session, list(rows), viewer_account_id)
    shown = await _summaries(services, session, {i: rows[i] for i in rows if i in seen})
    cards: dict[int, QuoteCard] = {}
    for remix_id, (parent_id, uri) in parents.items():
        if parent_id is not None and parent_id in shown:
            cards[remix_id] = shown[parent_id]
        elif parent_id is not None and parent_id in rows:
            found = rows[parent_id][0]
            cards[remix_id] = QuoteCard(0, "unauthorized", found.url or found.uri)
        elif uri:
            cards[remix_id] = QuoteCard(0, "unknown" if parent_id is None else "deleted", uri)
    return cards


async def _summaries(services: Services, session: AsyncSession,
                     rows: dict[int, tuple[Status, Account]]) -> dict[int, QuoteCard]:
    """Posts the viewer may see, as cards (state accepted), by id: two queries of images."""
    local = [i for i, (status, _) in rows.items() if status.local]
    local_media = await card_queries.local_images(session, local)
    remote_media = await card_queries.remote_images(session, [i for i in rows if i not in local])
    made: dict[int, QuoteCard] = {}
    for status_id, (status, author) in rows.items():
        media = [_local_image(services.config, m) for m in local_media.get(status_id, [])] \
            if status.local else [_remote_image(services.config, m)
                                  for m in remote_media.get(status_id, [])]
        author_card = account_card(services.config, author)
        made[status_id] = QuoteCard(
            0, ACCEPTED, status.url or status.uri,
            path=f"{author_card.profile_path}/{status.id}", author=author_card,
            image=media[0] if media else None, images=len(media), text=_caption(status),
            spoiler_text=status.spoiler_text, sensitive=status.sensitive)
    return made


def _caption(status: Status) -> str:
    text = status.caption if status.local and status.caption else \
        plain_text(status.content, EXCERPT * 2)
    return text if len(text) <= EXCERPT else text[:EXCERPT - 1].rstrip() + "…"


async def offers(session: AsyncSession, statuses: Sequence[Status],
                 viewer_account_id: int | None) -> dict[int, QuoteOffer]:
    """The viewer's Quote action on each post (Mastodon's quote_policy_for_account), from
    one query of policies and one follow lookup per author whose policy names followers."""
    if viewer_account_id is None:
        return {}
    policies = await quote_queries.policies_of(session, [s.id for s in statuses])
    follows: dict[int, bool] = {}
    result: dict[int, QuoteOffer] = {}
    for status in statuses:
        if status.account_id == viewer_account_id and status.visibility != "direct":
            result[status.id] = QuoteOffer(AUTOMATIC)
            continue
        automatic, manual = policy_scopes(status, policies.get(status.id))
        if wire.FOLLOWERS_SCOPE in automatic | manual and status.account_id not in follows:
            follow = await follow_queries.follow_between(session, viewer_account_id,
                                                         status.account_id)
            follows[status.account_id] = follow is not None and follow.state == "accepted"
        result[status.id] = _offer(status, automatic, manual,
                                   follows.get(status.account_id, False),
                                   stated=status.id in policies)
    return result


def _offer(status: Status, automatic: frozenset[str], manual: frozenset[str],
           follower: bool, *, stated: bool) -> QuoteOffer:
    def allows(scopes: frozenset[str]) -> bool:
        return wire.PUBLIC_SCOPE in scopes or (wire.FOLLOWERS_SCOPE in scopes and follower)

    if allows(automatic):
        return QuoteOffer(AUTOMATIC)
    if allows(manual) or wire.UNSUPPORTED_SCOPE in automatic | manual:
        return QuoteOffer(MANUAL, N_("its author will be asked to approve the quote"))
    if status.visibility not in ("public", "unlisted"):
        return QuoteOffer(DENIED, N_("Only public and unlisted posts can be quoted"))
    if not stated and not status.local:
        return QuoteOffer(DENIED, N_("Its server does not say that it may be quoted"))
    if wire.FOLLOWERS_SCOPE in automatic | manual:
        return QuoteOffer(DENIED, N_("Its author lets only their followers quote it"))
    return QuoteOffer(DENIED, N_("Its author does not allow quotes"))


async def target_card(services: Services, status_id: int,
                      viewer_account_id: int) -> tuple[QuoteCard, QuoteOffer]:
    """The post a quote is being written about, as its card, and whether the viewer may
    quote it (the compose page shows both); NotFound when the viewer cannot see it."""
    async with services.db.reader() as session:
        rows = await card_queries.statuses_with_authors(session, [status_id])
        if status_id not in rows or not await timeline_queries.visible(
                session, [status_id], viewer_account_id):
            raise NotFound(N_("The post you are trying to quote does not appear to exist."))
        status, author = rows[status_id]
        media = [_local_image(services.config, m) for m in
                 (await card_queries.local_images(session, [status_id])).get(status_id, [])] \
            if status.local else [_remote_image(services.config, m) for m in (
                await card_queries.remote_images(session, [status_id])).get(status_id, [])]
        offer = (await offers(session, [status], viewer_account_id))[status_id]
    author_card = account_card(services.config, author)
    return QuoteCard(0, ACCEPTED, status.url or status.uri,
                     path=f"{author_card.profile_path}/{status.id}", author=author_card,
                     image=media[0] if media else None, images=len(media),
                     text=_caption(status), spoiler_text=status.spoiler_text), offer

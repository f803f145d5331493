"""Quote posts (FEP-044f as Mastodon 4.5 does them): who may quote a status, a local user's
quote of a local or remote status, the QuoteRequest a remote one needs, and the author's
revocation of a quote of theirs.

Who may quote (Mastodon's Status#quote_policy_for_account): its author always; nobody when
it is direct, followers-only or a boost; else the scopes of its policy: `public`, `followers`
(the quoter follows the author), `following` (the author follows the quoter), each for
automatic or manual approval. A local status states its author's choice (default: public,
automatic); a remote one the `canQuote` its server sent, and nothing when it sent none.

A quote of a local status is decided here at once; a quote of a remote one is `pending`
until its author's server answers our QuoteRequest (inbound/quotes.py) - Mastodon asks even
when the policy approves automatically, since only the stamp it answers with (the
QuoteAuthorization) proves the approval to third servers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from html import escape
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import quotes as wire
from server.i18n import N_
from server.render.to_activitypub import NoteParts, note
from server.services.context import Services
from server.services.errors import Forbidden, InvalidInput, NotFound
from server.services.federation.outbound import delivery
from server.services.social.notifications import QUOTE, notify
from server.urls import Urls
from storage import accounts as account_queries
from storage import follows as follow_queries
from storage import quotes as quote_queries
from storage import statuses as status_queries
from storage import timelines as timeline_queries
from storage.models import Account, Status
from storage.models.quotes import Quote, QuotePolicy

AUTOMATIC, MANUAL, DENIED = "automatic", "manual", "denied"
PENDING, ACCEPTED, REJECTED, REVOKED = "pending", "accepted", "rejected", "revoked"
QUOTABLE_VISIBILITIES = ("public", "unlisted")
# The client API's quote_approval_policy values (Mastodon 4.5) and the scopes they mean.
APPROVAL_CHOICES: dict[str, frozenset[str]] = {
    "public": frozenset({wire.PUBLIC_SCOPE}),
    "followers": frozenset({wire.FOLLOWERS_SCOPE}),
    "nobody": frozenset(),
}
NOT_FOUND = N_("The post you are trying to quote does not appear to exist.")
# Why a post may not be quoted (a Decision's reason)...
DELETED = N_("the post is deleted")
NOT_QUOTABLE = N_("only public and unlisted posts can be quoted")
UNSTATED = N_("its server does not say that it may be quoted")
FOLLOWERS_ONLY = N_("its author lets only their followers quote it")
NOT_ALLOWED = N_("its author does not allow quotes of it")
# ...and the refusal of a quote or a remix for it: whole sentences, so that a page
# translates them.
_REFUSED: dict[str, dict[str, str]] = {
    "quoted": {
        DELETED: N_("this post cannot be quoted: the post is deleted"),
        NOT_QUOTABLE: N_("this post cannot be quoted: only public and unlisted posts can be "
                         "quoted"),
        UNSTATED: N_("this post cannot be quoted: its server does not say that it may be "
                     "quoted"),
        FOLLOWERS_ONLY: N_("this post cannot be quoted: its author lets only their followers "
                           "quote it"),
        NOT_ALLOWED: N_("this post cannot be quoted: its author does not allow quotes of it"),
    },
    "remixed": {
        DELETED: N_("this post cannot be remixed: the post is deleted"),
        NOT_QUOTABLE: N_("this post cannot be remixed: only public and unlisted posts can be "
                         "quoted"),
        UNSTATED: N_("this post cannot be remixed: its server does not say that it may be "
                     "quoted"),
        FOLLOWERS_ONLY: N_("this post cannot be remixed: its author lets only their "
                           "followers quote it"),
        NOT_ALLOWED: N_("this post cannot be remixed: its author does not allow quotes of "
                        "it"),
    },
}
# A user's default for new posts, kept with their interaction defaults under this key.
DEFAULT_KEY = "canQuote"
# Translated where a page shows them (server.i18n).
APPROVAL_LABELS = {"public": N_("Anyone"), "followers": N_("Your followers"),
                   "nobody": N_("Only you")}


@dataclass(frozen=True)
class Decision:
    """Whether `verdict` lets a quote through: at once, after approval, or never (`reason`
    says why, for the page and the API's error)."""

    verdict: str
    reason: str = ""


def _scopes(value: str) -> frozenset[str]:
    return frozenset(value.split())


def policy_scopes(status: Status, row: QuotePolicy | None
                  ) -> tuple[frozenset[str], frozenset[str]]:
    """(automatic, manual) scopes of a status's quote policy."""
    if status.visibility not in QUOTABLE_VISIBILITIES or status.reblog_of_id is not None:
        return frozenset(), frozenset()
    if row is None:
        # Ours: open to anyone by default; theirs: a server that says nothing allows nothing.
        return (APPROVAL_CHOICES["public"] if status.local else frozenset()), frozenset()
    return _scopes(row.automatic), _scopes(row.manual)


async def decide(session: AsyncSession, status: Status, quoter_id: int) -> Decision:
    """May `quoter_id` quote `status`, and how."""
    if status.deleted_at is not None:
        return Decision(DENIED, DELETED)
    if status.account_id == quoter_id and status.visibility != "direct":
        return Decision(AUTOMATIC)
    if status.visibility not in QUOTABLE_VISIBILITIES:
        return Decision(DENIED, NOT_QUOTABLE)
    row = await quote_queries.policy_of(session, status.id)
    automatic, manual = policy_scopes(status, row)
    follower = following = None

    async def matches(scopes: frozenset[str]) -> bool:
        nonlocal follower, following
        if wire.PUBLIC_SCOPE in scopes:
            return True
        if wire.FOLLOWERS_SCOPE in scopes:
            if follower is None:
                follower = await _follows(session, quoter_id, status.account_id)
            if follower:
                return True
        if wire.FOLLOWING_SCOPE in scopes:
            if following is None:
                following = await _follows(session, status.account_id, quoter_id)
            if following:
                return True
        return False

    if await matches(automatic):
        return Decision(AUTOMATIC)
    if await matches(manual) or wire.UNSUPPORTED_SCOPE in automatic | manual:
        return Decision(MANUAL)
    if row is None and not status.local:
        return Decision(DENIED, UNSTATED)
    if wire.FOLLOWERS_SCOPE in automatic | manual:
        return Decision(DENIED, FOLLOWERS_ONLY)
    return Decision(DENIED, NOT_ALLOWED)


async def _follows(session: AsyncSession, account_id: int, target_id: int) -> bool:
    follow = await follow_queries.follow_between(session, account_id, target_id)
    return follow is not None and follow.state == "accepted"


# --- quoting ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a new status quotes, and how its author may."""

    status: Status
    author: Account
    decision: Decision


async def target(session: AsyncSession, quoter: Account, ref: str) -> Target:
    """The status named by `ref` (our id or its URI) that `quoter` may see, with the
    decision; raises NotFound, or Forbidden with the reason when quoting is not allowed."""
    status = await status_queries.by_id(session, int(ref)) if ref.isdigit() \
        else await status_queries.by_uri(session, ref)
    return await _target_of(session, quoter, status, "quoted")


async def remix_target(session: AsyncSession, quoter: Account, remixed: Status) -> Target:
    """A remix of a remote post, which its server sees as a quote of it (the remade image
    links its parent): the same policy decides, refused with its reason or pending until
    the author approves."""
    return await _target_of(session, quoter, remixed, "remixed")


async def check_remix(services: Services, status_id: int, viewer_account_id: int) -> None:
    """Forbidden, with the reason, when a remote post's quote policy does not let the viewer
    remix it (the compose page says so before any image is made)."""
    async with services.db.reader() as session:
        status = await status_queries.by_id(session, status_id)
        if status is None or status.local:
            return
        decision = await decide(session, status, viewer_account_id)
    if decision.verdict == DENIED:
        refused = _REFUSED["remixed"][decision.reason]
        raise Forbidden(refused)


async def _target_of(session: AsyncSession, quoter: Account, status: Status | None,
                     what: Literal["quoted", "remixed"]) -> Target:
    if status is None or status.deleted_at is not None or status.reblog_of_id is not None \
            or not await timeline_queries.visible(session, [status.id], quoter.id):
        raise NotFound(NOT_FOUND)
    author = await account_queries.account_by_id(session, status.account_id)
    if author is None:
        raise NotFound(NOT_FOUND)
    decision = await decide(session, status, quoter.id)
    if decision.verdict == DENIED:
        refused = _REFUSED[what][decision.reason]
        raise Forbidden(refused)
    return Target(status, author, decision)


def remix_quote(status: Status, quoted_status_id: int | None) -> bool:
    """Whether the status quotes what it remixes (its "Remix of" link is the fallback
    then: no second link)."""
    return status.remix_of_id is not None and status.remix_of_id == quoted_status_id


def fallback_html(quoted_url: str) -> str:
    """The textual fallback for software without quotes (FEP-044f's `quote-inline` span,
    which readers that show the quote hide)."""
    link = escape(quoted_url, quote=True)
    return f'<p><span class="quote-inline">RE: <a href="{link}">{escape(quoted_url)}</a>' \
        "</span></p>"


async def record(session: AsyncSession, status: Status, author: Account,
                 quoted: Target) -> Quote:
    """The quote row of a new local status: a local quoted status is decided now; a remote
    one waits for its author's answer to the QuoteRequest sent after the Create."""
    local_target = quoted.author.is_local
    state = ACCEPTED if local_target and quoted.decision.verdict == AUTOMATIC else PENDING
    request_id = None if local_target else f"{author.uri}/quote_requests/{uuid.uuid4()}"
    quote = await quote_queries.add(session, Quote(
        status_id=status.id, account_id=author.id, quoted_status_id=quoted.status.id,
        quoted_account_id=quoted.author.id, quoted_uri=quoted.status.uri, state=state,
        activity_uri=request_id))
    if state == ACCEPTED:
        await notify(session, quoted.author.id, author.id, QUOTE, status.id)
    return quote


def checked_default(value: str | None) -> str:
    """A default quote policy as a form gives it (empty: public)."""
    choice = (value or "public").strip()
    if choice not in APPROVAL_CHOICES:
        raise InvalidInput(N_("who may quote: one of %(choices)s"),
                           choices=", ".join(APPROVAL_CHOICES))
    return choice


async def default_choice(session: AsyncSession, author: Account) -> str | None:
    """The author's default quote policy for new posts (None: public)."""
    user = await account_queries.user_by_account_id(session, author.id)
    value = (user.interaction_defaults or {}).get(DEFAULT_KEY) if user else None
    return value if value in APPROVAL_CHOICES else None


async def set_approval_policy(session: AsyncSession, status: Status, choice: str | None) -> None:
    """A local status's quote policy, from the client API's `quote_approval_policy` (none:
    the default, public). Followers-only and direct statuses are never quotable."""
    if choice is None or choice == "public":
        return
    if choice not in APPROVAL_CHOICES:
        raise InvalidInput(N_("quote_approval_policy must be one of %(choices)s"),
                           choices=", ".join(APPROVAL_CHOICES))
    await quote_queries.set_policy(session, status.id, " ".join(sorted(
        APPROVAL_CHOICES[choice])), "")


def authorization_uri(services: Services, quoted_author: Account, quote: Quote) -> str:
    """Where our stamp for `quote` is served (Mastodon's account_quote_authorization_url)."""
    return f"{Urls(services.config.base_url).actor(quoted_author.username)}" \
        f"/quote_authorizations/{quote.id}"


@dataclass(frozen=True)
class QuoteView:
    """What a Note says of its quote: the quoted post and, once approved, the stamp."""

    quoted_uri: str
    authorization: str | None


async def quote_view(services: Services, session: AsyncSession,
                     status: Status) -> QuoteView | None:
    quote = await quote_queries.of_status(session, status.id)
    if quote is None:
        return None
    stamp = None
    if quote.state == ACCEPTED:
        stamp = quote.approval_uri
        if stamp is None and quote.quoted_account_id is not None \
                and quote.quoted_account_id != quote.account_id:
            quoted_author = await account_queries.account_by_id(session,
                                                                 quote.quoted_account_id)
            if quoted_author is not None and quoted_author.is_local:
                stamp = authorization_uri(services, quoted_author, quote)
    return QuoteView(quote.quoted_uri, stamp)


async def policy_document(services: Services, session: AsyncSession, status: Status,
                          author: Account) -> dict[str, Any]:
    """Our status's `canQuote` (the quote part of its interactionPolicy)."""
    urls = Urls(services.config.base_url)
    automatic, _ = policy_scopes(status, await quote_queries.policy_of(session, status.id))
    return wire.can_quote(author=author.uri, followers=urls.followers(author.username),
                          following=urls.following(author.username), automatic=automatic)


async def send_request(session: AsyncSession, quote: Quote, author: Account,
                       quoted_author: Account, note_doc: dict[str, Any]) -> None:
    """Ask the quoted post's author to approve (the quote post inlined, as Mastodon does)."""
    if quote.activity_uri is None:
        return
    activity = wire.quote_request(quote.activity_uri, author.uri, quote.quoted_uri, note_doc)
    await delivery.publish(session, author.id, activity,
                           [delivery.personal_inbox(quoted_author)])


async def authorization_document(services: Services, username: str,
                                 quote_id: int) -> dict[str, Any]:
    """Our stamp for an approved quote, served at its id (404 once revoked, as Mastodon's
    QuoteAuthorizationsController answers for a quote no longer accepted)."""
    async with services.db.reader() as session:
        author = await account_queries.local_account_by_username(session, username)
        quote = await quote_queries.by_id(session, quote_id)
        if author is None or quote is None or quote.quoted_account_id != author.id \
                or quote.state != ACCEPTED or quote.quoted_status_id is None:
            raise NotFound(N_("no such quote authorization"))
        quoting = await status_queries.by_id(session, quote.status_id)
        if quoting is None:
            raise NotFound(N_("no such quote authorization"))
    return wire.quote_authorization(authorization_uri(services, author, quote), author.uri,
                                    quoting.uri, quote.quoted_uri)


async def quoted_authors(session: AsyncSession, status: Status) -> list[Account]:
    """The quoted post's author hears of the quote post, as a reply's parent's author does
    (Mastodon adds them as a silent mention: Quote#ensure_quoted_access)."""
    quote = await quote_queries.of_status(session, status.id)
    if quote is None or quote.quoted_account_id is None:
        return []
    author = await account_queries.account_by_id(session, quote.quoted_account_id)
    return [author] if author is not None else []


async def request_approval(services: Services, session: AsyncSession, status: Status,
                           parts: NoteParts) -> None:
    """After a quote post's Create: the QuoteRequest its remote quoted author answers."""
    quote = await quote_queries.of_status(session, status.id)
    if quote is None or quote.state != PENDING or quote.activity_uri is None \
            or quote.quoted_account_id is None:
        return
    quoted_author = await account_queries.account_by_id(session, quote.quoted_account_id)
    if quoted_author is None or quoted_author.is_local:
        return
    await send_request(session, quote, parts.author, quoted_author,
                       note(status, parts, services.config))


async def with_fallback(session: AsyncSession, status: Status, html: str) -> str:
    """A quote post's content after an edit: its text and the fallback link again."""
    quote = await quote_queries.of_status(session, status.id)
    if quote is None or remix_quote(status, quote.quoted_status_id):
        return html
    quoted = await status_queries.by_id(session, quote.quoted_status_id) \
        if quote.quoted_status_id else None
    return html + fallback_html(quoted.url or quoted.uri if quoted else quote.quoted_uri)

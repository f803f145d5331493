"""A local author decides the interaction requests on their posts (statuses/
interaction_requests.py queued them): approving stores the interaction and answers with an
Accept whose `result` is the authorization we serve; rejecting answers with a Reject. A
polite request (`ReplyRequest`...) is answered with the request inlined, and its sender then
sends the interaction itself, carrying the authorization; an impolite one (a bare Create,
Like or Announce) with the interaction as `object`, cc the author's followers, and the
interaction is stored now (a reply is fetched again from its origin, by a job)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import interaction_policy as wire
from activitypub.parse_note import audience
from activitypub.vocab import PUBLIC
from server.i18n import N_
from server.jobs.queue import enqueue
from server.services.context import Services
from server.services.errors import NotFound
from server.services.federation import fetch_posts
from server.services.federation.inbound.common import visibility_of
from server.services.federation.outbound import delivery
from server.services.social import notifications
from server.services.statuses.interaction_requests import (
    ACCEPTED,
    PENDING,
    REJECTED,
    authorization_uri,
)
from server.services.streaming.publish import queue_event, status_event
from storage import accounts as account_queries
from storage import favourites as favourite_queries
from storage import follows as follow_queries
from storage import interaction_requests as request_queries
from storage import statuses as status_queries
from storage.models import Account, Favourite, InteractionRequest, Status


@dataclass(frozen=True)
class RequestView:
    """A pending request as the web app and the CLI list it."""

    id: int
    kind: str
    from_handle: str
    status_id: int
    status_uri: str
    interaction_uri: str
    created_at: datetime


def _handle(account: Account, domain: str) -> str:
    return f"{account.username}@{account.domain or domain}"


async def pending_requests(services: Services, username: str) -> list[RequestView]:
    async with services.db.reader() as session:
        author = await _author(session, username)
        views = []
        for request in await request_queries.pending_for(session, author.id):
            requester = await account_queries.account_by_id(session, request.account_id)
            status = await status_queries.by_id(session, request.status_id)
            if requester is None or status is None:
                continue
            views.append(RequestView(request.id, request.kind,
                                     _handle(requester, services.config.instance.domain),
                                     status.id, status.uri, request.interaction_uri,
                                     request.created_at))
        return views


async def _author(session: AsyncSession, username: str) -> Account:
    author = await account_queries.local_account_by_username(session, username)
    if author is None or author.deleted_at is not None:
        raise NotFound(N_("no local account named %(username)r"), username=username)
    return author


async def _own_pending(session: AsyncSession, username: str, request_id: int
                       ) -> tuple[Account, InteractionRequest, Status, Account]:
    author = await _author(session, username)
    request = await request_queries.by_id(session, request_id)
    status = await status_queries.by_id(session, request.status_id) if request else None
    requester = await account_queries.account_by_id(session, request.account_id) \
        if request else None
    if request is None or status is None or requester is None \
            or status.account_id != author.id or request.state != PENDING:
        raise NotFound(N_("no pending request %(request_id)s on a post of %(username)s"),
                       request_id=request_id, username=username)
    return author, request, status, requester


async def approve(services: Services, username: str, request_id: int) -> None:
    async with services.db.writer.begin() as session:
        author, request, status, requester = await _own_pending(session, username,
                                                                request_id)
        await accept(services, session, request, status, author, requester)


async def reject(services: Services, username: str, request_id: int) -> None:
    async with services.db.writer.begin() as session:
        author, request, status, requester = await _own_pending(session, username,
                                                                request_id)
        await reject_now(services, session, request, status, author, requester)


async def reject_now(services: Services, session: AsyncSession, request: InteractionRequest,
                     status: Status, author: Account, requester: Account) -> None:
    request.state = REJECTED
    await _answer(services, session, "Reject", request, status, author, requester)


async def accept(services: Services, session: AsyncSession, request: InteractionRequest,
                 status: Status, author: Account, requester: Account) -> None:
    """Approve `request` (pending, or just made by a policy that approves at once)."""
    request.state = ACCEPTED
    await session.flush()
    if request.request_uri is None:  # it came as the interaction itself: store it now
        await _store(session, request, status, requester)
    await _answer(services, session, "Accept", request, status, author, requester)


async def _answer(services: Services, session: AsyncSession, kind: str,
                  request: InteractionRequest, status: Status, author: Account,
                  requester: Account) -> None:
    accepted = kind == "Accept"
    impolite = request.request_uri is None
    followers = services.urls.followers(author.username)
    activity = wire.answer(
        kind, f"{author.uri}/{kind.lower()}s/{request.id}", author.uri, requester.uri,
        request_id=request.request_uri, interaction=wire.INTERACTIONS[request.kind],
        interacting=request.interaction_uri, target=status.uri,
        result=authorization_uri(author, request) if accepted else None,
        cc=[PUBLIC, followers])
    inboxes = [delivery.personal_inbox(requester)]
    if accepted and impolite:  # so that our followers' servers may show it too
        inboxes += await follow_queries.follower_inboxes(session, author.id)
    await delivery.publish(session, author.id, activity, inboxes)


async def _store(session: AsyncSession, request: InteractionRequest, status: Status,
                 requester: Account) -> None:
    """The interaction held back, as it would have been stored on arrival."""
    if request.kind == wire.REPLY.key:
        # Fetched again from its origin; the accepted request lets it through.
        payload, key = fetch_posts.parent_job(request.interaction_uri, 1)
        await enqueue(session, fetch_posts.FETCH_PARENT, payload, dedupe_key=key)
        return
    if request.kind == wire.LIKE.key:
        if await favourite_queries.favourite_by(session, requester.id, status.id) is None:
            session.add(Favourite(account_id=requester.id, status_id=status.id,
                                  uri=request.interaction_uri, approved_by=None))
            await status_queries.increment(session, status.id, "favourites_count")
            await notifications.notify(session, status.account_id, requester.id,
                                       notifications.FAVOURITE, status.id)
        return
    if await status_queries.boost_of(session, requester.id, status.id) is not None:
        return
    body = request.body or {}
    visibility = visibility_of(audience(body.get("to")), audience(body.get("cc")),
                               requester.followers_url)
    boost = Status(uri=request.interaction_uri, account_id=requester.id, local=False,
                   visibility="public" if visibility == "direct" else visibility,
                   reblog_of_id=status.id)
    session.add(boost)
    await session.flush()
    queue_event(session, await status_event(session, "update", boost))
    await status_queries.increment(session, status.id, "reblogs_count")
    await notifications.notify(session, status.account_id, requester.id,
                               notifications.REBLOG, status.id)

"""Remote interactions with our statuses, screened by their policies: allowed ones pass,
forbidden ones are dropped (as GoToSocial drops them, without a Reject), and those the
author must approve wait as interaction requests (a notification tells the author). The
author's decision and the Accept/Reject it sends: statuses/interaction_approvals.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import interaction_policy as wire
from server.services.context import Services
from server.services.social import notifications
from server.services.statuses.interaction_policy import Decision, Permission, decide
from storage import accounts as account_queries
from storage import interaction_requests as request_queries
from storage.models import Account, InteractionRequest, Status

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"


def authorization_uri(author: Account, request: InteractionRequest) -> str:
    return f"{author.uri}/authorizations/{request.id}"


async def decision_for(services: Services, session: AsyncSession, status: Status,
                       actor: Account, interaction: wire.Interaction) -> Decision:
    """The decision on one of our statuses, an interaction already approved counting as
    allowed."""
    author = await account_queries.account_by_id(session, status.account_id)
    followers = services.urls.followers(author.username) if author else None
    return await decide(session, status, actor, interaction, local_followers=followers)


async def screen(services: Services, session: AsyncSession, status: Status, actor: Account,
                 interaction: wire.Interaction, interaction_uri: str, *,
                 body: dict[str, Any] | None = None,
                 request_uri: str | None = None) -> Permission:
    """What to do with a remote `actor`'s interaction with our `status`: AUTOMATIC (store
    it), FORBIDDEN (drop it) or MANUAL (queued here for the author, who is told)."""
    existing = await request_queries.by_interaction(session, interaction_uri)
    if existing is not None and existing.account_id == actor.id:
        if existing.state == ACCEPTED:
            return Permission.AUTOMATIC
        return Permission.FORBIDDEN if existing.state == REJECTED else Permission.MANUAL
    decision = await decision_for(services, session, status, actor, interaction)
    if decision.permission is Permission.MANUAL:
        await queue(session, status, actor, interaction, interaction_uri, body=body,
                    request_uri=request_uri)
    return decision.permission


async def queue(session: AsyncSession, status: Status, actor: Account,
                interaction: wire.Interaction, interaction_uri: str, *,
                body: dict[str, Any] | None, request_uri: str | None,
                state: str = PENDING) -> InteractionRequest:
    request = InteractionRequest(kind=interaction.key, status_id=status.id,
                                 account_id=actor.id, interaction_uri=interaction_uri,
                                 request_uri=request_uri, body=body, state=state)
    session.add(request)
    await session.flush()
    if state == PENDING:
        await notifications.notify(session, status.account_id, actor.id,
                                   notifications.INTERACTION_REQUEST, status.id)
    return request


async def authorization_document(services: Services, username: str,
                                 request_id: int) -> dict[str, Any] | None:
    """An approved request's authorization, as third servers dereference it; None for
    anything else (unknown, pending, rejected, or not this author's)."""
    async with services.db.reader() as session:
        request = await request_queries.by_id(session, request_id)
        if request is None or request.state != ACCEPTED:
            return None
        status = await session.get(Status, request.status_id)
        author = await account_queries.local_account_by_username(session, username)
        if status is None or author is None or status.account_id != author.id:
            return None
        return wire.authorization(wire.INTERACTIONS[request.kind],
                                  authorization_uri(author, request), author.uri,
                                  request.interaction_uri, status.uri)

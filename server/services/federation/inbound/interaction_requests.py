"""Inbound `LikeRequest`, `ReplyRequest` and `AnnounceRequest` (GoToSocial's polite
interaction requests) for our posts: approved at once where the post's policy lets the
requester in (an Accept carrying the authorization), queued for the author where it asks
for approval, refused with a Reject where it does not allow it. Reached through
inbox_apply's dispatch."""

from __future__ import annotations

from activitypub import interaction_policy as wire
from activitypub.parse import ParsedActivity, same_origin
from activitypub.parse_note import NOTE_TYPES
from server.services.context import Services
from server.services.errors import Dropped
from server.services.federation.inbound.common import actor_account, live_status
from server.services.statuses.interaction_approvals import accept, reject_now
from server.services.statuses.interaction_policy import Permission
from server.services.statuses.interaction_requests import (
    ACCEPTED,
    REJECTED,
    queue,
    screen,
)
from server.services.statuses.visibility import can_see
from storage import accounts as account_queries
from storage import interaction_requests as request_queries

_INSTRUMENT_TYPES = {wire.LIKE.key: {"Like"}, wire.ANNOUNCE.key: {"Announce"},
                     wire.REPLY.key: set(NOTE_TYPES)}


async def on_request(services: Services, activity: ParsedActivity) -> str:
    request = wire.parse_request(activity.raw)
    if request is None:
        raise Dropped("an interaction request must name a post and an interaction")
    if not same_origin(request.instrument_id, activity.actor):
        raise Dropped("the interaction is on another origin than the requester")
    _check_instrument(request, activity.actor)
    requester = await actor_account(services, activity.actor)
    async with services.db.writer.begin() as session:
        status = await live_status(session, request.target)
        if status is None or not status.local:
            return "ignored: no such local post"
        if not await can_see(session, status, requester):
            return "ignored: no such local post"
        permission = await screen(services, session, status, requester, request.interaction,
                                  request.instrument_id, body=request.instrument,
                                  request_uri=activity.id)
        if permission is Permission.MANUAL:
            return f"queued: the {request.interaction.key} waits for its author's approval"
        author = await account_queries.account_by_id(session, status.account_id)
        assert author is not None
        # A repeated request finds the row of the first and is answered again.
        row = await request_queries.by_interaction(session, request.instrument_id) \
            or await queue(session, status, requester, request.interaction,
                           request.instrument_id, body=request.instrument,
                           request_uri=activity.id,
                           state=ACCEPTED if permission is Permission.AUTOMATIC
                           else REJECTED)
        if permission is Permission.AUTOMATIC:
            await accept(services, session, row, status, author, requester)
            return f"{request.interaction.key} request approved by the post's policy"
        await reject_now(services, session, row, status, author, requester)
        return f"{request.interaction.key} request refused by the post's policy"


def _check_instrument(request: wire.ParsedRequest, actor: str) -> None:
    """An inline interaction must be of the kind asked for, by the requester, about the
    post named."""
    inline = request.instrument
    if inline is None:
        return
    if str(inline.get("type")) not in _INSTRUMENT_TYPES[request.interaction.key]:
        raise Dropped(f"a {request.interaction.request} must carry a "
                      f"{'/'.join(sorted(_INSTRUMENT_TYPES[request.interaction.key]))}")
    by = inline.get("attributedTo") if request.interaction is wire.REPLY \
        else inline.get("actor")
    if by not in (None, actor):
        raise Dropped("the interaction is not the requester's")

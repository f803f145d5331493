"""What a post card offers the viewer under the post's interaction policy (GoToSocial's
interaction controls): each of reply, boost and like allowed, needing the author's approval,
or forbidden (with the reason shown instead of the button); and the viewer's likes and
boosts still waiting for that approval."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import interaction_policy as wire
from server.i18n import N_
from server.services.statuses.interaction_policy import Permission, decide, refusal
from storage import accounts as account_queries
from storage import interaction_requests as request_queries
from storage.models import Account, Status

ALLOWED, APPROVAL, FORBIDDEN = "allowed", "approval", "forbidden"
AWAITS_APPROVAL = N_("Its author approves it first: it shows as pending until then.")


@dataclass(frozen=True)
class ActionState:
    state: str  # allowed, approval, forbidden
    # Why it is not offered, or that the author approves it first: an N_ template without
    # values, translated where a page shows it (_post_card.html).
    reason: str = ""


@dataclass(frozen=True)
class InteractionStates:
    reply: ActionState
    boost: ActionState
    like: ActionState
    like_pending: bool = False
    boost_pending: bool = False


OPEN = ActionState(ALLOWED)


async def states(session: AsyncSession, statuses: list[Status],
                 viewer_account_id: int | None) -> dict[int, InteractionStates]:
    """For the remote statuses whose server stated a policy, and those the viewer's like or
    boost of waits on; the others offer everything as before."""
    if viewer_account_id is None:
        return {}
    viewer = await account_queries.account_by_id(session, viewer_account_id)
    if viewer is None:
        return {}
    ids = [s.id for s in statuses]
    liked, boosted = await request_queries.pending_of(session, viewer_account_id, ids)
    found: dict[int, InteractionStates] = {}
    for status in statuses:
        policied = not status.local and status.interaction_policy is not None
        if not policied and status.id not in liked and status.id not in boosted:
            continue
        reply, boost, like = [await _state(session, status, viewer, i) if policied else OPEN
                              for i in (wire.REPLY, wire.ANNOUNCE, wire.LIKE)]
        found[status.id] = InteractionStates(reply, boost, like,
                                             like_pending=status.id in liked,
                                             boost_pending=status.id in boosted)
    return found


async def _state(session: AsyncSession, status: Status, viewer: Account,
                 interaction: wire.Interaction) -> ActionState:
    decision = await decide(session, status, viewer, interaction)
    if decision.permission is Permission.FORBIDDEN:
        return ActionState(FORBIDDEN, refusal(interaction, status))
    if decision.needs_request:
        return ActionState(APPROVAL, AWAITS_APPROVAL)
    return OPEN

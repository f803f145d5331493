"""Our users' replies, boosts and likes of remote posts, by the policy the post's server
stated (GoToSocial's interaction controls): forbidden ones are refused with the reason,
allowed ones go out as always, and those that need the author's approval go out as a
`*Request` to the author alone and wait, pending, for its Accept (then they go to their
whole audience, carrying the authorization) or Reject (then they are taken back). The
answers arrive through federation/inbound/interaction_answers.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import interaction_policy as wire
from server.services.errors import Forbidden
from server.services.federation.outbound import delivery
from server.services.statuses.interaction_policy import Permission, decide, refusal
from storage.models import Account, Status


async def needs_request(session: AsyncSession, actor: Account, status: Status,
                        interaction: wire.Interaction) -> bool:
    """Whether `actor`'s interaction with the remote `status` must first be approved;
    Forbidden, with the reason, when its policy does not allow it at all. Our own posts
    are not asked about: our users act on them as their authors decided."""
    if status.local:
        return False
    decision = await decide(session, status, actor, interaction)
    if decision.permission is Permission.FORBIDDEN:
        refused = refusal(interaction, status)  # an N_ template, without values
        raise Forbidden(refused)
    return decision.needs_request


def request_id(actor: Account, interaction: wire.Interaction, row_id: int) -> str:
    """Our request's id: its own URL under the actor, one per interaction row."""
    return f"{actor.uri}/{interaction.key}_requests/{row_id}"


async def send_request(session: AsyncSession, actor: Account, author: Account,
                       status: Status, interaction: wire.Interaction, row_id: int,
                       instrument: dict[str, Any]) -> None:
    """Ask the post's author (its personal inbox only: nobody else hears of a pending
    interaction)."""
    body = {k: v for k, v in instrument.items() if k != "@context"}
    activity = wire.request(interaction, request_id(actor, interaction, row_id), actor.uri,
                            author.uri, status.uri, body)
    await delivery.publish(session, actor.id, activity, [delivery.personal_inbox(author)])

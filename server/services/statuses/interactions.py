"""Favourites and boosts as the client API asks for them (Mastodon's Statuses::Favourites
and Statuses::Reblogs controllers): the status must be one the viewer may see (else
NotFound, so a hidden status does not leak), a boost's id stands for the boosted status,
and doing or undoing twice changes nothing. The work itself is statuses/favourites.py's and
statuses/boosts.py's, shared with the web app."""

from __future__ import annotations

from contextlib import suppress

from server.i18n import N_
from server.services.context import Services
from server.services.errors import Forbidden, InvalidInput, NotFound
from server.services.statuses import boosts, favourites
from server.services.statuses.visibility import visible_status
from storage import favourites as favourite_queries
from storage import statuses as status_queries
from storage.models import Status

BOOST_VISIBILITY = N_("a boost is public here: visibility must be public")
NOT_ALLOWED = N_("This action is not allowed")  # Mastodon's words for a refused policy


async def _target(services: Services, status_id: int, viewer_id: int) -> int:
    return (await _target_row(services, status_id, viewer_id)).id


async def _target_row(services: Services, status_id: int, viewer_id: int) -> Status:
    """The status named (a boost: the boosted one), if the viewer may see it."""
    async with services.db.reader() as session:
        row = await visible_status(session, status_id, viewer_id)
        if row.reblog_of_id is not None:
            boosted = await status_queries.by_id(session, row.reblog_of_id)
            if boosted is None:
                raise NotFound(N_("Record not found"))
            row = boosted
    return row


async def favourite(services: Services, username: str, viewer_id: int, status_id: int) -> int:
    """The favourited status's id."""
    target = await _target(services, status_id, viewer_id)
    await favourites.favourite(services, username, str(target))
    return target


async def unfavourite(services: Services, username: str, viewer_id: int,
                      status_id: int) -> int:
    """Take a favourite back (none: nothing changes); the status's id."""
    async with services.db.reader() as session:
        row = await status_queries.by_id(session, status_id)
        target = (row.reblog_of_id or row.id) if row is not None else status_id
        mine = await favourite_queries.favourite_by(session, viewer_id, target)
    if mine is None:
        return await _target(services, status_id, viewer_id)
    # NotFound: taken back meanwhile by another request; the state asked for is there.
    with suppress(NotFound):
        await favourites.unfavourite(services, username, str(target))
    return target


async def boost(services: Services, username: str, viewer_id: int, status_id: int,
                visibility: str | None = None) -> int:
    """Boost (boosted already: that boost); the boost's own id, which the API answers with."""
    if visibility not in (None, "", "public"):
        raise InvalidInput(BOOST_VISIBILITY)
    row = await _target_row(services, status_id, viewer_id)
    if row.visibility in ("private", "direct") and row.account_id != viewer_id:
        # Mastodon's StatusPolicy#reblog?: only its author may boost a followers-only status.
        raise Forbidden(NOT_ALLOWED)
    target = row.id
    await boosts.boost(services, username, str(target))
    async with services.db.reader() as session:
        made = await status_queries.boost_of(session, viewer_id, target)
    if made is None:
        raise NotFound(N_("Record not found"))  # undone meanwhile by another request
    return made.id


async def unboost(services: Services, username: str, viewer_id: int, status_id: int) -> int:
    """Take a boost back (none: nothing changes); the boosted status's id. `status_id` may
    name the status or the viewer's boost of it."""
    async with services.db.reader() as session:
        row = await status_queries.by_id(session, status_id)
        target = (row.reblog_of_id or row.id) if row is not None else status_id
        mine = await status_queries.boost_of(session, viewer_id, target)
    if mine is None:
        return await _target(services, status_id, viewer_id)
    with suppress(NotFound):  # taken back meanwhile
        await boosts.unboost(services, username, str(target))
    return target

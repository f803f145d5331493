"""What changes when a quote's approval changes: the quote post's Note again (an Update, so
its audience sees the stamp, or its loss) and, for the quoted author, the revocation.

FEP-044f: once the Accept arrives the quote post carries `quoteAuthorization` and is sent
again; a revoked stamp is `Delete`d, to the quote post's author and to whoever may have
seen it (our followers' servers).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import quotes as wire
from server.i18n import N_
from server.render.to_activitypub import update_activity
from server.services.context import Services
from server.services.errors import NotFound
from server.services.federation.outbound import delivery
from server.services.federation.outbound.audience import audience_inboxes
from server.services.statuses.notes import note_parts
from server.services.statuses.quotes import ACCEPTED, REVOKED, authorization_uri
from server.services.streaming.publish import queue_event, status_event
from storage import accounts as account_queries
from storage import follows as follow_queries
from storage import quotes as quote_queries
from storage import statuses as status_queries
from storage.models import Status
from storage.types import utcnow


async def publish_update(services: Services, session: AsyncSession, status: Status) -> None:
    """Send a local quote post again, as it now is (with or without its stamp)."""
    author = await account_queries.account_by_id(session, status.account_id)
    if author is None or status.deleted_at is not None:
        return
    parts = await note_parts(services, session, status, author)
    quote = await quote_queries.of_status(session, status.id)
    extra = []
    if quote is not None and quote.quoted_account_id is not None:
        quoted_author = await account_queries.account_by_id(session, quote.quoted_account_id)
        extra = [quoted_author] if quoted_author is not None else []
    activity = update_activity(status, parts, services.config, at=utcnow())
    await delivery.publish(session, author.id, activity,
                           await audience_inboxes(session, status, parts, extra))
    queue_event(session, await status_event(session, "status.update", status))


async def revoke(services: Services, username: str, quote_id: int) -> None:
    """The quoted author withdraws an approval: the quote shows as removed everywhere."""
    async with services.db.writer.begin() as session:
        me = await account_queries.local_account_by_username(session, username)
        quote = await quote_queries.by_id(session, quote_id)
        if me is None or quote is None or quote.quoted_account_id != me.id \
                or quote.state != ACCEPTED or quote.account_id == me.id:
            raise NotFound(N_("no approved quote of your posts to remove"))
        await quote_queries.set_state(session, quote.id, REVOKED)
        status = await status_queries.by_id(session, quote.status_id)
        if status is None:
            return
        if status.local:
            await publish_update(services, session, status)
            return
        quoter = await account_queries.account_by_id(session, quote.account_id)
        inboxes = list(await follow_queries.follower_inboxes(session, me.id))
        if quoter is not None:
            inboxes.append(delivery.personal_inbox(quoter))
        activity = wire.delete_quote_authorization(me.uri,
                                                   authorization_uri(services, me, quote))
        await delivery.publish(session, me.id, activity, inboxes)
        queue_event(session, await status_event(session, "status.update", status))

"""What a remote post says about quotes, kept when it is stored or edited: the post it
quotes (FEP-044f `quote`, or the older spellings) with the stamp that approves it, and the
`canQuote` policy it states. A quote whose stamp is another server's is verified by a job
(VERIFY) before it shows: FEP-044f treats every third-party quote as unapproved until its
QuoteAuthorization is fetched and names it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import quotes as wire
from activitypub.parse import same_origin
from activitypub.parse_note import ParsedNote
from server.jobs.queue import enqueue
from server.services.context import Services
from server.services.statuses.quotes import ACCEPTED, PENDING
from storage import accounts as account_queries
from storage import quotes as quote_queries
from storage import statuses as status_queries
from storage.models import Account, Status
from storage.models.quotes import Quote

VERIFY = "quotes.verify"


async def link(services: Services, session: AsyncSession, status: Status, author: Account,
               note: ParsedNote) -> None:
    """Called for every remote post stored or edited here."""
    await _adopt_waiting(services, session, status)
    if note.can_quote is not None:
        automatic = wire.scopes(note.can_quote.automatic, author=author.uri,
                                followers=author.followers_url,
                                following=author.following_url)
        manual = wire.scopes(note.can_quote.manual, author=author.uri,
                             followers=author.followers_url, following=author.following_url)
        await quote_queries.set_policy(session, status.id, " ".join(sorted(automatic)),
                                       " ".join(sorted(manual)))
    if note.quote is None:
        return
    quote = await quote_queries.of_status(session, status.id)
    if quote is None:
        quoted = await status_queries.by_uri(session, note.quote)
        quote = await quote_queries.add(session, Quote(
            status_id=status.id, account_id=author.id, quoted_uri=note.quote,
            quoted_status_id=quoted.id if quoted else None,
            quoted_account_id=quoted.account_id if quoted else None, state=PENDING))
    if quote.state == ACCEPTED and quote.approval_uri in (None, note.quote_authorization):
        return  # approved here (a quote of ours), or the same stamp verified before
    if quote.quoted_account_id == author.id:
        quote.state = ACCEPTED  # quoting oneself needs nobody's approval (FEP-044f)
        return
    if note.quote_authorization is None or same_origin(note.quote_authorization,
                                                       services.config.base_url):
        return  # a stamp of ours is made by our answer to the QuoteRequest, not believed
    quote.approval_uri = note.quote_authorization
    await enqueue(session, VERIFY, {"quote_id": quote.id},
                  dedupe_key=f"{VERIFY}:{quote.id}")


async def _adopt_waiting(services: Services, session: AsyncSession, status: Status) -> None:
    """Quotes of this post that arrived before it: linked now, and verified when they carry
    a stamp (the job needed the quoted post's author)."""
    for quote in await quote_queries.waiting_for(session, status.uri):
        quote.quoted_status_id, quote.quoted_account_id = status.id, status.account_id
        if quote.quoted_account_id == quote.account_id:
            quote.state = ACCEPTED
        elif quote.state == PENDING and quote.approval_uri:
            await enqueue(session, VERIFY, {"quote_id": quote.id},
                          dedupe_key=f"{VERIFY}:{quote.id}")


async def quoted_author(session: AsyncSession, quote: Quote) -> Account | None:
    if quote.quoted_account_id is None:
        return None
    return await account_queries.account_by_id(session, quote.quoted_account_id)

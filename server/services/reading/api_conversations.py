"""The client API's conversations (Mastodon's /api/v1/conversations): a page of the
account's conversations, newest status first, or one of them, as entity parts. The rules
that fill them: server.services.social.conversations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.render.to_mastodon.conversations import ConversationParts
from server.services.context import Services
from server.services.errors import NotFound
from server.services.reading.entities import load_accounts, load_statuses
from storage import conversations as queries
from storage.models import Conversation
from storage.pagination import Page


@dataclass(frozen=True)
class ConversationPage:
    conversations: list[ConversationParts]
    ids: list[int]  # the Link header's cursors: each one's newest status id, in page order


async def _parts(services: Services, session: AsyncSession, account_id: int,
                 rows: Sequence[Conversation]) -> list[ConversationParts]:
    """Parts for a page in a few queries: every participant and newest status at once."""
    participants = {row.id: queries.participant_ids(row) for row in rows}
    accounts = await load_accounts(services, session, list(
        {i for ids in participants.values() for i in ids} | {account_id}))
    statuses = await load_statuses(
        services, session, [row.last_status_id for row in rows if row.last_status_id],
        viewer_account_id=account_id)
    made = []
    for row in rows:
        # Mastodon: `participant_accounts.presence || [account]` (a note to oneself).
        others = [accounts[i] for i in participants[row.id] if i in accounts]
        if not others and account_id in accounts:
            others = [accounts[account_id]]
        last = statuses.get(row.last_status_id) if row.last_status_id else None
        made.append(ConversationParts(id=row.id, unread=row.unread, accounts=others,
                                      last_status=last))
    return made


async def conversations(services: Services, account_id: int, page: Page) -> ConversationPage:
    async with services.db.reader() as session:
        rows = await queries.page_of(session, account_id, page)
        made = await _parts(services, session, account_id, rows)
    return ConversationPage(made, [row.last_status_id for row in rows
                                   if row.last_status_id is not None])


async def conversation(services: Services, account_id: int,
                       conversation_id: int) -> ConversationParts:
    """One of the account's conversations (NotFound for anyone else's, or one gone)."""
    async with services.db.reader() as session:
        row = await queries.own(session, account_id, conversation_id)
        if row is None:
            raise NotFound(N_("Record not found"))
        return (await _parts(services, session, account_id, [row]))[0]

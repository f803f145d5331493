"""Queries on conversations (a local account's direct messages by participant set) and the
statuses each holds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.ids import new_id
from storage.models import Conversation, ConversationStatus
from storage.pagination import Page, apply_page, finish_page
from storage.types import utcnow
from storage.upserts import insert_into

_conversations = cast(Table, Conversation.__table__)
_links = cast(Table, ConversationStatus.__table__)


def participants_key(account_ids: Sequence[int]) -> str:
    """The participants column for these accounts: ascending ids, space-separated."""
    return " ".join(str(i) for i in sorted(set(account_ids)))


def participant_ids(conversation: Conversation) -> list[int]:
    return [int(part) for part in conversation.participants.split()]


async def find_or_create(session: AsyncSession, account_id: int,
                         participants: str) -> Conversation:
    """The account's conversation with these participants, made when there is none. Two
    statuses arriving at once for a new conversation make one row (ON CONFLICT DO NOTHING,
    then read whichever insert won)."""
    await session.execute(insert_into(session, _conversations).values(
        id=new_id(), account_id=account_id, participants=participants, last_status_id=None,
        unread=False, updated_at=utcnow()).on_conflict_do_nothing())
    result = await session.execute(select(Conversation).where(
        Conversation.account_id == account_id, Conversation.participants == participants)
        .execution_options(populate_existing=True))
    return result.scalar_one()


async def holding(session: AsyncSession, status_id: int) -> list[Conversation]:
    """The conversations (of every local participant) that hold this status."""
    result = await session.execute(
        select(Conversation).join(ConversationStatus,
                                  ConversationStatus.conversation_id == Conversation.id)
        .where(ConversationStatus.status_id == status_id)
        .execution_options(populate_existing=True))
    return list(result.scalars().all())


async def add_status(session: AsyncSession, conversation_id: int, status_id: int, *,
                     unread: bool) -> bool:
    """Put the status in the conversation; the newest status moves forward only (one
    UPDATE: two statuses added at once cannot move it back). Returns whether it was not in
    it yet (nothing changes then)."""
    result = await session.execute(insert_into(session, _links).values(
        conversation_id=conversation_id, status_id=status_id).on_conflict_do_nothing()
        .returning(_links.c.status_id))
    if result.first() is None:
        return False
    newest = Conversation.last_status_id
    await session.execute(update(Conversation).where(Conversation.id == conversation_id)
                          .values(last_status_id=case((newest.is_(None), status_id),
                                                      (newest < status_id, status_id),
                                                      else_=newest),
                                  unread=unread, updated_at=utcnow())
                          .execution_options(synchronize_session=False))
    return True


async def remove_status(session: AsyncSession, conversation_id: int, status_id: int) -> bool:
    """Take the status out of the conversation; the conversation goes when it held nothing
    else. Returns whether the conversation is still there."""
    await session.execute(delete(ConversationStatus).where(
        ConversationStatus.conversation_id == conversation_id,
        ConversationStatus.status_id == status_id))
    newest = (select(func.max(ConversationStatus.status_id))
              .where(ConversationStatus.conversation_id == conversation_id)
              .scalar_subquery())
    await session.execute(update(Conversation).where(Conversation.id == conversation_id)
                          .values(last_status_id=newest, updated_at=utcnow())
                          .execution_options(synchronize_session=False))
    gone = await session.execute(delete(Conversation).where(
        Conversation.id == conversation_id, Conversation.last_status_id.is_(None))
        .returning(Conversation.id))
    return gone.first() is None


async def own(session: AsyncSession, account_id: int,
              conversation_id: int) -> Conversation | None:
    result = await session.execute(select(Conversation).where(
        Conversation.id == conversation_id, Conversation.account_id == account_id)
        .execution_options(populate_existing=True))
    return result.scalar_one_or_none()


async def mark_read(session: AsyncSession, conversation_id: int) -> None:
    await session.execute(update(Conversation).where(Conversation.id == conversation_id)
                          .values(unread=False, updated_at=utcnow())
                          .execution_options(synchronize_session=False))


async def delete_one(session: AsyncSession, account_id: int, conversation_id: int) -> bool:
    result = await session.execute(delete(Conversation).where(
        Conversation.id == conversation_id, Conversation.account_id == account_id)
        .returning(Conversation.id))
    return result.first() is not None


async def page_of(session: AsyncSession, account_id: int, page: Page) -> list[Conversation]:
    """The account's conversations, the one with the newest status first, paged by that
    status's id (Mastodon's AccountConversation.to_a_paginated_by_id)."""
    stmt = select(Conversation).where(Conversation.account_id == account_id,
                                      Conversation.last_status_id.is_not(None))
    # Null only inside remove_status's transaction, and excluded above.
    cursor = cast("InstrumentedAttribute[int]", Conversation.last_status_id)
    rows = (await session.execute(apply_page(stmt, cursor, page))).scalars().all()
    return finish_page(list(rows), page)

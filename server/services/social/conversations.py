"""Conversations: each local account's direct messages, one conversation per set of other
participants (Mastodon's AccountConversation, app/models/account_conversation.rb).

- A direct status is in a conversation of its author (when local) and of each local account
  it mentions, keyed by everyone else it involves: its mentions and its author, less the
  owner (nobody: a note to oneself). The newest status it holds orders the list.
- A status joining makes the conversation unread for a recipient and read for its author
  (Mastodon: `unread = status.account_id != recipient.id`). A recipient who blocks or is
  blocked by the author, mutes it or blocks its server gets none: Mastodon adds the
  conversation only when the mention's notification is not dropped
  (NotifyService#push_to_conversation!, after DropCondition's domain_blocking?, blocking?
  and muting checks). The status itself is kept, as there.
- A deleted status leaves every conversation; one left empty goes (Status
  #unlink_from_conversations!). An edit that changes who is mentioned moves the status to
  the conversations of its new participant sets.
- Every change but a removal publishes a "conversation" stream event to the owner in the
  same transaction (AccountConversation#push_to_streaming_api runs after commit, and not for
  a destroyed one); an edit of a conversation's newest status does too, so its owner's
  direct stream shows the new text.

These run inside the transaction that creates, edits or deletes the status.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.services.context import Services
from server.services.errors import NotFound
from server.services.streaming.events import StreamEvent
from server.services.streaming.publish import queue_event
from storage import account_domain_blocks as domain_block_queries
from storage import blocks as block_queries
from storage import conversations as queries
from storage import mutes as mute_queries
from storage import statuses as status_queries
from storage.models import Account, Status
from storage.types import utcnow

DIRECT = "direct"


def _changed(session: AsyncSession, owner_id: int, conversation_id: int) -> None:
    queue_event(session, StreamEvent("conversation", account_id=owner_id,
                                     conversation_id=conversation_id))


async def _may_receive(session: AsyncSession, recipient_id: int, author_id: int) -> bool:
    """Whether a direct status of `author_id` reaches `recipient_id`'s conversations."""
    if recipient_id == author_id:
        return True
    if await block_queries.blocked_either_way(session, recipient_id, author_id):
        return False
    # Mastodon's domain_blocking? spares a sender the recipient follows: none here, as
    # blocking a server ends those follows and refuses new ones.
    if await domain_block_queries.blocks_domain_of(session, recipient_id, author_id):
        return False
    muted = await mute_queries.mutes_among(session, recipient_id, [author_id], utcnow())
    return author_id not in muted


async def _wanted(session: AsyncSession, status: Status,
                  mentioned: list[Account]) -> dict[int, str]:
    """Local owner -> the participants key of the conversation this status belongs in."""
    involved = {account.id for account in mentioned} | {status.account_id}
    owners = [account.id for account in mentioned if account.is_local]
    if status.local:
        owners.append(status.account_id)
    wanted: dict[int, str] = {}
    for owner_id in owners:
        if owner_id not in wanted and await _may_receive(session, owner_id, status.account_id):
            wanted[owner_id] = queries.participants_key(sorted(involved - {owner_id}))
    return wanted


async def record_status(session: AsyncSession, status: Status, *, edited: bool = False) -> None:
    """Bring the conversations in line with a direct status just created, or `edited` (its
    mentions may have changed), or whose unknown mentions were just resolved. Call it after
    its mentions are linked. Nothing for a status that is not direct."""
    if status.visibility != DIRECT or status.reblog_of_id is not None:
        return
    wanted = await _wanted(session, status,
                           await status_queries.mentioned_accounts(session, status.id))
    for held in await queries.holding(session, status.id):
        if wanted.get(held.account_id) == held.participants:
            del wanted[held.account_id]  # already where it belongs
            if edited and held.last_status_id == status.id:
                _changed(session, held.account_id, held.id)
        elif await queries.remove_status(session, held.id, status.id):
            _changed(session, held.account_id, held.id)
    for owner_id, participants in wanted.items():
        conversation = await queries.find_or_create(session, owner_id, participants)
        if await queries.add_status(session, conversation.id, status.id,
                                    unread=status.account_id != owner_id):
            _changed(session, owner_id, conversation.id)


async def remove_status(session: AsyncSession, status: Status) -> None:
    """A deleted status leaves every conversation that held it; the emptied ones go."""
    if status.visibility != DIRECT:
        return
    for held in await queries.holding(session, status.id):
        if await queries.remove_status(session, held.id, status.id):
            _changed(session, held.account_id, held.id)


async def mark_read(services: Services, account_id: int, conversation_id: int) -> None:
    """The account read the conversation (NotFound when it has none by that id)."""
    async with services.db.writer.begin() as session:
        if await queries.own(session, account_id, conversation_id) is None:
            raise NotFound(N_("Record not found"))
        await queries.mark_read(session, conversation_id)
        _changed(session, account_id, conversation_id)


async def remove(services: Services, account_id: int, conversation_id: int) -> None:
    """Drop the conversation from the account's list (its statuses stay; a new one in it
    starts it again)."""
    async with services.db.writer.begin() as session:
        if not await queries.delete_one(session, account_id, conversation_id):
            raise NotFound(N_("Record not found"))

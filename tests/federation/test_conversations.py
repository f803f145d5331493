"""Direct messages arriving from elsewhere make conversations: a Mastodon-shaped direct Note
(to: the recipient alone, a Mention tag, as Mastodon's ActivityPub::NoteSerializer sends a
direct status) from a fake remote, and a direct message between two Dreamfeed instances and
its answer, each side's conversation following them (unread for the recipient, read for the
author who answers), with the `conversation` stream event for the owner; a remote Delete
takes the status out."""

from __future__ import annotations

import asyncio

from server.services.reading import api_conversations
from server.services.statuses import posts
from server.services.streaming.events import StreamEvent
from server.services.streaming.hub import Subscription
from storage.pagination import Page
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote
from tests.federation.harness import Instance, settle
from tests.federation.interactions_helpers import create, note, send


async def _conversations(instance: Instance, account_id: int
                         ) -> list[api_conversations.ConversationParts]:
    return (await api_conversations.conversations(instance.services, account_id,
                                                  Page())).conversations


async def _published(events: Subscription, account_id: int) -> StreamEvent:
    async with asyncio.timeout(10):
        while True:
            event = await events.get()
            if event.kind == "conversation" and event.account_id == account_id:
                return event


async def test_a_remote_direct_message_starts_a_conversation(start: StartInstance,
                                                             masto: FakeRemote) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    dave = masto.add_actor("dave")
    doc = note(dave, to=[a.actor("alice")], cc=[],
               content=f'<p><span class="h-card"><a href="{a.base}/@alice" '
                       'class="u-url mention">@<span>alice</span></a></span> psst</p>',
               tag=[{"type": "Mention", "href": a.actor("alice"),
                     "name": f"@{a.handle('alice')}"}])
    async with a.services.hub.subscribe() as events:
        row = await send(masto, dave, a, create(dave, doc), f"{a.actor('alice')}/inbox")
        assert row.state == "applied", row.error
        [conversation] = await _conversations(a, alice.account_id)
        assert conversation.unread is True
        assert [p.acct for p in conversation.accounts] == [dave.handle]
        assert conversation.last_status is not None
        assert conversation.last_status.status.uri == doc["id"]
        assert (await _published(events, alice.account_id)).conversation_id == conversation.id

        # alice answers: the same conversation, read (she wrote last); dave gets it
        answer = await posts.create_status(a.services, "alice", posts.NewStatus(
            media_ids=[], caption=f"@{dave.handle} hello", visibility="direct",
            in_reply_to=str(conversation.last_status.status.id)))
        await settle([a])
        [conversation] = await _conversations(a, alice.account_id)
        assert conversation.unread is False and conversation.last_status is not None
        assert conversation.last_status.status.id == answer.id
        [delivered] = [r.json() for r in masto.deliveries("Create")]
        assert delivered["object"]["to"] == [dave.id]

        # dave deletes his message: alice's answer is all the conversation holds, and
        # once she deletes that too, the conversation is gone
        await send(masto, dave, a, dave.activity("Delete", doc["id"], to=[a.actor("alice")]),
                   f"{a.actor('alice')}/inbox")
        [conversation] = await _conversations(a, alice.account_id)
        assert conversation.last_status is not None
        assert conversation.last_status.status.id == answer.id
        await posts.delete_status(a.services, "alice", answer.id)
        assert await _conversations(a, alice.account_id) == []


async def test_a_direct_message_between_two_instances_and_its_answer(
        start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    alice = await a.add_user("alice")
    bob = await b.add_user("bob")
    [media_id] = await a.make_images(alice.account_id, "a sealed letter")
    sent = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[media_id], caption=f"@{b.handle('bob')} for your eyes only",
        visibility="direct"))
    await settle([a, b])  # bob looked up by a job, then the Create

    [bobs] = await _conversations(b, bob.account_id)
    assert bobs.unread is True and [p.acct for p in bobs.accounts] == [a.handle("alice")]
    assert bobs.last_status is not None
    arrived = bobs.last_status.status
    assert arrived.uri == sent.uri
    assert arrived.visibility == "direct"
    [alices] = await _conversations(a, alice.account_id)
    assert alices.unread is False and [p.acct for p in alices.accounts] == [b.handle("bob")]

    async with a.services.hub.subscribe() as events:
        answer = await posts.create_status(b.services, "bob", posts.NewStatus(
            media_ids=[], caption=f"@{a.handle('alice')} received", visibility="direct",
            in_reply_to=str(arrived.id)))
        await settle([a, b])
        [alices] = await _conversations(a, alice.account_id)
        assert alices.unread is True and alices.last_status is not None
        assert alices.last_status.status.in_reply_to_id == sent.id
        assert (await _published(events, alice.account_id)).conversation_id == alices.id
    [bobs] = await _conversations(b, bob.account_id)
    assert bobs.unread is False and bobs.last_status is not None
    assert bobs.last_status.status.id == answer.id

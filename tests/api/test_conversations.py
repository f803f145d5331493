"""Conversations through the client API (Mastodon's /api/v1/conversations): one per set of
participants for each local account, unread for recipients and read for the author, the
newest status first with Link pages, read and removed (only one's own), a deleted status
leaving them, an edit moving a status to its new participants, blocks and mutes keeping a
DM out; the `conversation` stream event and its payload; Mastodon.py's conversations() and
conversations_read(). Every answer is checked against Mastodon's OpenAPI schema."""

from __future__ import annotations

import asyncio
import json

from server.services.social import blocks, mutes
from server.services.statuses import posts
from server.services.streaming.conversations import conversation_payload
from server.services.streaming.events import StreamEvent
from server.services.streaming.hub import Subscription
from tests.api.harness import Api
from tests.api.social_helpers import post
from tests.api.test_timelines import ids, links


def _people(conversation: dict[str, object]) -> list[str]:
    return sorted(a["acct"] for a in conversation["accounts"])  # type: ignore[attr-defined,index]


def _last(conversation: dict[str, object]) -> str:
    return conversation["last_status"]["id"]  # type: ignore[index]


async def test_direct_messages_make_conversations_read_paged_and_removed(api: Api) -> None:
    alice = await api.user("alice", scopes="read write")
    bob = await api.user("bob", scopes="read write")
    carol = await api.user("carol", scopes="read write")

    first = await post(api, "alice", "@bob a secret lantern", visibility="direct")
    mine = await api.get("/api/v1/conversations", token=alice)
    assert mine.status == 200, mine.body
    [alices] = mine.body
    assert _people(alices) == ["bob"] and _last(alices) == str(first)
    assert alices["unread"] is False  # the author's own message
    assert alices["last_status"]["visibility"] == "direct"
    [bobs] = (await api.get("/api/v1/conversations", token=bob)).body
    assert _people(bobs) == ["alice"] and bobs["unread"] is True and _last(bobs) == str(first)
    assert bobs["id"] != alices["id"]  # each participant has their own
    assert (await api.get("/api/v1/conversations", token=carol)).body == []

    # bob answers: the same conversation on both sides, now unread for alice
    answer = await post(api, "bob", "@alice lovely", visibility="direct", in_reply_to=first,
                        text_only=True)
    [alices] = (await api.get("/api/v1/conversations", token=alice)).body
    assert _last(alices) == str(answer) and alices["unread"] is True
    [bobs] = (await api.get("/api/v1/conversations", token=bob)).body
    assert _last(bobs) == str(answer) and bobs["unread"] is False

    # another set of participants is another conversation, listed first (newest status)
    group = await post(api, "alice", "@bob @carol all of us", visibility="direct")
    listed = await api.get("/api/v1/conversations", token=alice)
    assert [_people(c) for c in listed.body] == [["bob", "carol"], ["bob"]]
    assert [_last(c) for c in listed.body] == [str(group), str(answer)]
    page = await api.get("/api/v1/conversations", token=alice, params={"limit": 1})
    assert ids(page) == [listed.body[0]["id"]]
    # cursors are the newest statuses' ids, as Mastodon's
    assert links(page)["next"].endswith(f"max_id={group}")
    older = await api.get(links(page)["next"], token=alice)
    assert ids(older) == [listed.body[1]["id"]]
    assert ids(await api.get(links(older)["prev"], token=alice)) == [listed.body[0]["id"]]
    # a public post makes no conversation
    await post(api, "alice", "@bob out in the open")
    assert len((await api.get("/api/v1/conversations", token=alice)).body) == 2

    # read: unread no more, the Conversation entity back
    read = await api.post(f"/api/v1/conversations/{alices['id']}/read", token=alice)
    assert read.status == 200, read.body
    assert read.body["id"] == alices["id"] and read.body["unread"] is False
    assert _people(read.body) == ["bob"]
    # only one's own, and only with write:conversations
    assert (await api.post(f"/api/v1/conversations/{alices['id']}/read", token=bob)
            ).status == 404
    assert (await api.delete(f"/api/v1/conversations/{alices['id']}", token=bob)).status == 404
    reader = await api.user("alice", scopes="read")
    assert (await api.post(f"/api/v1/conversations/{alices['id']}/read", token=reader)
            ).status == 403
    assert (await api.get("/api/v1/conversations", token=await api.app_token())).status == 422

    removed = await api.delete(f"/api/v1/conversations/{alices['id']}", token=alice)
    assert removed.status == 200 and removed.body == {}
    assert [_people(c) for c in (await api.get("/api/v1/conversations", token=alice)).body] \
        == [["bob", "carol"]]
    assert len((await api.get("/api/v1/conversations", token=bob)).body) == 2  # bob's stay


async def test_deletes_edits_notes_to_oneself_blocks_and_mutes(api: Api) -> None:
    alice = await api.user("alice", scopes="read write")
    bob = await api.user("bob", scopes="read write")
    carol = await api.user("carol", scopes="read write")
    services = api.instance.services

    first = await post(api, "alice", "@bob one", visibility="direct")
    second = await post(api, "alice", "@bob two", visibility="direct")
    # the newest one deleted: the conversation shows the one before
    await posts.delete_status(services, "alice", second)
    [bobs] = (await api.get("/api/v1/conversations", token=bob)).body
    assert _last(bobs) == str(first)
    # the last one deleted: the conversation goes, for everyone in it
    await posts.delete_status(services, "alice", first)
    assert (await api.get("/api/v1/conversations", token=bob)).body == []
    assert (await api.get("/api/v1/conversations", token=alice)).body == []

    # an edit that mentions someone more moves the status to the new set of participants
    edited = await post(api, "alice", "@bob three", visibility="direct")
    await posts.edit_status(services, "alice", edited, caption="@bob @carol three")
    [alices] = (await api.get("/api/v1/conversations", token=alice)).body
    assert _people(alices) == ["bob", "carol"] and _last(alices) == str(edited)
    [carols] = (await api.get("/api/v1/conversations", token=carol)).body
    assert _people(carols) == ["alice", "bob"] and carols["unread"] is True
    await posts.edit_status(services, "alice", edited, caption="@carol three")
    assert (await api.get("/api/v1/conversations", token=bob)).body == []
    assert [_people(c) for c in (await api.get("/api/v1/conversations", token=alice)).body] \
        == [["carol"]]

    # a note to oneself: the owner is its only account
    alone = await post(api, "alice", "just for me", visibility="direct")
    listed = (await api.get("/api/v1/conversations", token=alice)).body
    assert (_people(listed[0]), _last(listed[0])) == (["alice"], str(alone))

    # someone who blocks the author, or mutes it, gets no conversation from it
    await blocks.block(services, "bob", f"alice@{api.instance.domain}")
    await mutes.mute(services, "carol", f"alice@{api.instance.domain}")
    await post(api, "alice", "@bob @carol anyone?", visibility="direct")
    assert (await api.get("/api/v1/conversations", token=bob)).body == []
    carols = (await api.get("/api/v1/conversations", token=carol)).body
    assert [_people(c) for c in carols] == [["alice"]]  # the edited one from before


async def test_changes_are_published_with_the_owners_payload(api: Api) -> None:
    await api.user("alice")
    await api.user("bob")
    await api.user("carol")
    services = api.instance.services
    alice_id, bob_id = int(api.account_id("alice")), int(api.account_id("bob"))
    async with services.hub.subscribe() as events:
        first = await post(api, "alice", "@bob psst", visibility="direct")
        changed = await _conversation_events(events, 2)
        assert {e.account_id for e in changed} == {alice_id, bob_id}
        bobs = next(e for e in changed if e.account_id == bob_id)
        assert bobs.conversation_id is not None
        payload = await conversation_payload(services, bob_id, bobs.conversation_id)
        assert payload is not None
        entity = json.loads(payload)
        assert entity["id"] == str(bobs.conversation_id) and entity["unread"] is True
        assert _people(entity) == ["alice"] and _last(entity) == str(first)
        # someone else's conversation, or one that is gone: nothing to send
        assert await conversation_payload(services, alice_id, bobs.conversation_id) is None
        assert await conversation_payload(services, bob_id, 1) is None

        # an edit of the newest status is published; a deletion that empties it is not
        await posts.edit_status(services, "alice", first, caption="@bob psst, again")
        assert len(await _conversation_events(events, 2)) == 2
        await posts.delete_status(services, "alice", first)
        assert await conversation_payload(services, bob_id, bobs.conversation_id) is None


async def _conversation_events(events: Subscription, count: int) -> list[StreamEvent]:
    found: list[StreamEvent] = []
    async with asyncio.timeout(10):
        while len(found) < count:
            event = await events.get()
            if event.kind == "conversation":
                found.append(event)
    return found


async def test_mastodon_py_conversations(api: Api) -> None:
    token = await api.user("bob", scopes="read write")
    await api.user("alice")
    status_id = await post(api, "alice", "@bob for you", visibility="direct")
    client = api.mastodon(token)
    [found] = await asyncio.to_thread(client.conversations)
    assert found.unread is True and str(found.last_status.id) == str(status_id)
    assert [a.acct for a in found.accounts] == ["alice"]
    read = await asyncio.to_thread(client.conversations_read, found.id)
    assert read.unread is False and str(read.id) == str(found.id)
    [again] = await asyncio.to_thread(client.conversations, limit=5)
    assert again.unread is False
    assert not api.client_failures

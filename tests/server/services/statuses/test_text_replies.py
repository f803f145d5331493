"""A Dreamfeed post needs an image; a reply may be text alone, without the AI label, and
its Note goes out with no attachment."""

from __future__ import annotations

import pytest

from server import appkeys
from server.services.errors import InvalidInput, NotFound
from server.services.statuses import posts
from server.services.statuses.notes import render_note
from storage import statuses as status_queries
from storage.models import PendingMedia, Status
from tests.federation.conftest import StartInstance


async def test_text_replies(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await a.add_user("bob")
    services = a.services
    with pytest.raises(InvalidInput, match="needs an image"):
        await posts.create_status(services, "alice", posts.NewStatus(media_ids=[],
                                                                      caption="words"))
    top = await posts.create_status(services, "alice", posts.NewStatus(
        media_ids=await a.make_images(alice.account_id, "a harbour"), caption="harbour"))
    secret = await posts.create_status(services, "alice", posts.NewStatus(
        media_ids=await a.make_images(alice.account_id, "a key"), visibility="private"))
    with pytest.raises(InvalidInput, match="needs some text"):
        await posts.create_status(services, "bob", posts.NewStatus(
            media_ids=[], caption="  ", in_reply_to=str(top.id)))
    # a followers-only post bob cannot see does not exist for his reply
    with pytest.raises(NotFound, match="does not appear to exist"):
        await posts.create_status(services, "bob", posts.NewStatus(
            media_ids=[], caption="hi", in_reply_to=str(secret.id)))
    reply = await posts.create_status(services, "bob", posts.NewStatus(
        media_ids=[], caption="lovely #boats", in_reply_to=str(top.id)))
    async with a.app[appkeys.DATABASE].reader() as session:
        row = await session.get(Status, reply.id)
    assert row is not None and row.generator_name is None and not row.can_remix
    assert "AI-generated" not in row.content and "#<span>boats</span>" in row.content
    note = await render_note(services, row)
    assert note["attachment"] == [] and note["inReplyTo"] == top.uri
    assert "generator" not in note and [t["name"] for t in note["tag"]] == ["#boats"]
    await posts.edit_status(services, "bob", reply.id, caption="lovely boats")
    with pytest.raises(InvalidInput, match="needs some text"):
        await posts.edit_status(services, "bob", reply.id, caption="")

    # an image still being made cannot be attached yet (Mastodon's words)
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        pending = PendingMedia(account_id=alice.account_id, kind="upload")
        session.add(pending)
        await session.flush()
        pending_id = pending.id
    with pytest.raises(InvalidInput, match="not finished processing"):
        await posts.create_status(services, "alice", posts.NewStatus(media_ids=[pending_id]))
    async with a.app[appkeys.DATABASE].reader() as session:
        used = [m.id for m in await status_queries.attachments(session, top.id)]
    with pytest.raises(InvalidInput, match="already in a post"):
        await posts.create_status(services, "alice", posts.NewStatus(media_ids=used))

"""Client API statuses: posting (an image needed, text replies, idempotency, refusals),
reading one or several as the viewer may see them, edit with history and source, delete
and redraft, and the thread around a status. Every answer is checked against Mastodon's
OpenAPI schema by the `api` fixture."""

from __future__ import annotations

import asyncio

from server import appkeys
from server.services.statuses import posts
from storage.models import PendingMedia
from tests.api.harness import Api
from tests.federation.fake_remote import FakeRemote
from tests.federation.harness import settle


async def _images(api: Api, username: str, n: int = 1, prompt: str = "a lighthouse") -> list[str]:
    account_id = api.users[username].account_id
    return [str(i) for i in await api.instance.make_images(account_id, prompt, n=n)]


async def _post(api: Api, token: str, username: str, **fields: object) -> dict[str, object]:
    fields.setdefault("media_ids[]", await _images(api, username))
    answer = await api.post("/api/v1/statuses", token=token, data=fields)
    assert answer.status == 200, answer.body
    body: dict[str, object] = answer.body
    return body


async def test_post_with_an_image_and_the_rules(api: Api) -> None:
    alice = await api.user("alice")
    bob = await api.user("bob")
    media = await _images(api, "alice", n=2)

    # a status with two generated images, its fields as sent
    made = await api.post("/api/v1/statuses", token=alice, json={
        "status": "two lighthouses #sea", "media_ids": media, "spoiler_text": "bright",
        "visibility": "unlisted", "language": "en"})
    assert made.status == 200, made.body
    status = made.body
    assert [m["id"] for m in status["media_attachments"]] == media
    assert status["visibility"] == "unlisted" and status["language"] == "en"
    assert status["spoiler_text"] == "bright" and status["sensitive"] is True
    assert "AI-generated image" in status["content"]
    assert {t["name"] for t in status["tags"]} == {"sea", "aigenerated"}
    assert status["account"]["id"] == api.account_id("alice")
    assert (status["favourited"], status["reblogged"], status["bookmarked"],
            status["pinned"]) == (False, False, False, False)
    assert status["dreamfeed"]["generation"]["generator"]

    # a top-level status needs an image; a reply may be text alone
    refused = await api.post("/api/v1/statuses", token=alice, data={"status": "words only"})
    assert refused.status == 422 and "needs an image" in refused.body["error"]
    reply = await api.post("/api/v1/statuses", token=bob, data={
        "status": "@alice what a light", "in_reply_to_id": status["id"]})
    assert reply.status == 200, reply.body
    assert reply.body["media_attachments"] == [] and reply.body["in_reply_to_id"] == status["id"]
    assert reply.body["in_reply_to_account_id"] == api.account_id("alice")
    assert "AI-generated" not in reply.body["content"]
    assert [m["acct"] for m in reply.body["mentions"]] == ["alice"]
    missing = await api.post("/api/v1/statuses", token=bob, data={
        "status": "hello?", "in_reply_to_id": "12345"})
    assert missing.status == 404 and "does not appear to exist" in missing.body["error"]

    # what Dreamfeed does not have is refused clearly, not dropped
    more = await _images(api, "alice")
    for extra, words in (({"poll[options][]": ["a", "b"], "poll[expires_in]": "300"},
                          "polls are not supported"),
                         ({"scheduled_at": "2031-01-01T00:00:00Z"}, "scheduled")):
        answer = await api.post("/api/v1/statuses", token=alice,
                                data={"status": "x", "media_ids[]": more, **extra})
        assert answer.status == 422 and words in answer.body["error"], answer.body
    # someone else's image, one already posted, one still being made
    bobs = await _images(api, "bob")
    for ids in (bobs, media):
        answer = await api.post("/api/v1/statuses", token=alice, data={"media_ids[]": ids})
        assert answer.status == 422, answer.body
    async with api.instance.app[appkeys.DATABASE].writer.begin() as session:
        pending = PendingMedia(account_id=api.users["alice"].account_id, kind="upload")
        session.add(pending)
        await session.flush()
        pending_id = str(pending.id)
    answer = await api.post("/api/v1/statuses", token=alice, data={"media_ids[]": pending_id})
    assert answer.status == 422
    assert answer.body["error"] == posts.PROCESSING

    # scopes: a read-only token may not post; no token at all is 401
    reader = await api.user("alice", scopes="read")
    assert (await api.post("/api/v1/statuses", token=reader,
                           data={"media_ids[]": more})).status == 403
    assert (await api.post("/api/v1/statuses", data={"media_ids[]": more})).status == 401


async def test_idempotency_key_answers_the_same_status(api: Api) -> None:
    alice = await api.user("alice")
    media = await _images(api, "alice")
    headers = {"Idempotency-Key": "c0ffee-1"}
    first = await api.post("/api/v1/statuses", token=alice, headers=headers,
                           data={"status": "once", "media_ids[]": media})
    again = await api.post("/api/v1/statuses", token=alice, headers=headers,
                           data={"status": "once", "media_ids[]": media})
    assert first.status == again.status == 200
    assert first.body["id"] == again.body["id"]
    mine = await api.get(f"/api/v1/accounts/{api.account_id('alice')}/statuses", token=alice)
    if mine.status == 200:  # the accounts routes may land separately
        assert [s["id"] for s in mine.body].count(first.body["id"]) == 1


async def test_visibility_of_one_and_several(api: Api) -> None:
    alice = await api.user("alice")
    stranger = await api.user("mallory")
    public = await _post(api, alice, "alice", status="for all")
    private = await _post(api, alice, "alice", status="for followers",
                          visibility="private")

    seen = await api.get(f"/api/v1/statuses/{public['id']}")
    assert seen.status == 200 and "favourited" not in seen.body  # signed out: no viewer state
    for token in (None, stranger):
        hidden = await api.get(f"/api/v1/statuses/{private['id']}", token=token)
        assert hidden.status == 404 and hidden.body == {"error": "Record not found"}
    assert (await api.get(f"/api/v1/statuses/{private['id']}", token=alice)).status == 200
    assert (await api.get("/api/v1/statuses/notanid", token=alice)).status == 404

    several = await api.get("/api/v1/statuses", token=stranger,
                            params=[("id[]", private["id"]), ("id[]", public["id"]),
                                    ("id[]", "999")])
    assert several.status == 200 and [s["id"] for s in several.body] == [public["id"]]
    mine = await api.get("/api/v1/statuses", token=alice,
                         params=[("id[]", private["id"]), ("id[]", public["id"])])
    assert [s["id"] for s in mine.body] == [private["id"], public["id"]]
    too_many = await api.get("/api/v1/statuses", token=alice,
                             params=[("id[]", str(n)) for n in range(1, 23)])
    assert too_many.status == 422

    # replying to what one may not see: it does not exist
    answer = await api.post("/api/v1/statuses", token=stranger, data={
        "status": "peek", "in_reply_to_id": private["id"]})
    assert answer.status == 404


async def test_edit_history_source_and_delete(api: Api) -> None:
    alice = await api.user("alice")
    bob = await api.user("bob")
    status = await _post(api, alice, "alice", status="first words")
    status_id = status["id"]
    [media] = status["media_attachments"]

    history = await api.get(f"/api/v1/statuses/{status_id}/history")
    assert history.status == 200 and len(history.body) == 1
    assert "first words" in history.body[0]["content"]

    edited = await api.put(f"/api/v1/statuses/{status_id}", token=alice, json={
        "status": "better words #dusk", "spoiler_text": "glare", "language": "fr",
        "media_ids": [media["id"]],
        "media_attributes": [{"id": media["id"], "description": "a tall white tower"}]})
    assert edited.status == 200, edited.body
    body = edited.body
    assert "better words" in body["content"] and body["spoiler_text"] == "glare"
    assert body["edited_at"] is not None and body["language"] == "fr"
    assert body["media_attachments"][0]["description"] == "a tall white tower"
    assert body["sensitive"] is True
    # the form way, as Rails reads media_attributes[][...]
    form = await api.put(f"/api/v1/statuses/{status_id}", token=alice, data={
        "media_attributes[][id]": media["id"], "media_attributes[][description]": "a beacon"})
    assert form.status == 200, form.body
    assert form.body["media_attachments"][0]["description"] == "a beacon"
    other_images = await _images(api, "alice")
    swapped = await api.put(f"/api/v1/statuses/{status_id}", token=alice,
                            json={"media_ids": other_images})
    assert swapped.status == 422 and "cannot be changed" in swapped.body["error"]
    assert (await api.put(f"/api/v1/statuses/{status_id}", token=bob,
                          json={"status": "mine now"})).status == 404

    history = await api.get(f"/api/v1/statuses/{status_id}/history", token=bob)
    assert len(history.body) == 1 and "better words" in history.body[0]["content"]
    assert history.body[0]["created_at"] == form.body["edited_at"]
    source = await api.get(f"/api/v1/statuses/{status_id}/source", token=alice)
    assert source.status == 200
    assert source.body == {"id": status_id, "text": "better words #dusk",
                           "spoiler_text": "glare"}

    # delete and redraft: the answer carries what was typed
    assert (await api.delete(f"/api/v1/statuses/{status_id}", token=bob)).status == 404
    deleted = await api.delete(f"/api/v1/statuses/{status_id}", token=alice)
    assert deleted.status == 200 and deleted.body["id"] == status_id
    assert deleted.body["text"] == "better words #dusk"
    assert [m["id"] for m in deleted.body["media_attachments"]] == [media["id"]]
    assert (await api.get(f"/api/v1/statuses/{status_id}", token=alice)).status == 404
    assert (await api.delete(f"/api/v1/statuses/{status_id}", token=alice)).status == 404


async def test_context_screens_the_thread(api: Api) -> None:
    alice = await api.user("alice")
    bob = await api.user("bob")
    carol = await api.user("carol")
    top = await _post(api, alice, "alice", status="the top")
    first = (await api.post("/api/v1/statuses", token=bob, data={
        "status": "a reply", "in_reply_to_id": top["id"]})).body
    second = (await api.post("/api/v1/statuses", token=alice, data={
        "status": "a reply to the reply", "in_reply_to_id": first["id"]})).body
    hidden = (await api.post("/api/v1/statuses", token=alice, data={
        "status": "for followers", "in_reply_to_id": first["id"],
        "visibility": "private"})).body

    around = await api.get(f"/api/v1/statuses/{first['id']}/context", token=carol)
    assert around.status == 200
    assert [s["id"] for s in around.body["ancestors"]] == [top["id"]]
    assert [s["id"] for s in around.body["descendants"]] == [second["id"]]
    own = await api.get(f"/api/v1/statuses/{first['id']}/context", token=alice)
    assert {s["id"] for s in own.body["descendants"]} == {second["id"], hidden["id"]}
    public = await api.get(f"/api/v1/statuses/{top['id']}/context")
    assert [s["id"] for s in public.body["descendants"]] == [first["id"], second["id"]]
    assert public.body["ancestors"] == []
    assert (await api.get(f"/api/v1/statuses/{hidden['id']}/context",
                          token=carol)).status == 404


async def test_a_remote_follower_receives_the_create(api: Api) -> None:
    alice = await api.user("alice")
    async with FakeRemote("masto") as masto:
        carol = masto.add_actor("carol")
        actor = f"{api.base}/users/alice"
        follow = carol.activity("Follow", actor)
        assert (await masto.deliver(carol, f"{actor}/inbox", follow)).status == 202
        await settle([api.instance])
        status = await _post(api, alice, "alice", status="hello fediverse")
        reply = (await api.post("/api/v1/statuses", token=alice, data={
            "status": "and a word more", "in_reply_to_id": status["id"]})).body
        await settle([api.instance])
        notes = {d.json()["object"]["id"]: d.json()["object"]
                 for d in masto.deliveries("Create")}
    note = notes[status["uri"]]
    assert note["type"] == "Note" and "hello fediverse" in note["content"]
    assert [a["mediaType"] for a in note["attachment"]] == ["image/jpeg"]
    text = notes[reply["uri"]]
    assert text["attachment"] == [] and text["inReplyTo"] == status["uri"]
    assert "AI-generated" not in text["content"]


async def test_mastodon_py_posts_and_redrafts(api: Api) -> None:
    alice = await api.user("alice")
    client = api.mastodon(alice)
    media = await _images(api, "alice")
    posted = await asyncio.to_thread(client.status_post, "from Mastodon.py", media_ids=media,
                                     idempotency_key="mpy-1")
    assert str(posted["id"]) and len(posted["media_attachments"]) == 1
    reply = await asyncio.to_thread(client.status_reply, posted, "a text reply")
    assert str(reply["in_reply_to_id"]) == str(posted["id"])
    context = await asyncio.to_thread(client.status_context, posted["id"])
    assert [str(s["id"]) for s in context["descendants"]] == [str(reply["id"])]
    source = await asyncio.to_thread(client.status_source, posted["id"])
    assert source["text"] == "from Mastodon.py"
    edited = await asyncio.to_thread(client.status_update, posted["id"], "edited by Mastodon.py")
    assert "edited by Mastodon.py" in edited["content"]
    history = await asyncio.to_thread(client.status_history, posted["id"])
    assert len(history) == 1
    deleted = await asyncio.to_thread(client.status_delete, reply["id"])
    assert deleted["text"].endswith("a text reply")  # Mastodon.py adds the mentions

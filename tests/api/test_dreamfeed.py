"""Dreamfeed's generation extension of the client API: a generation answers 202 with its
images as media ids from the start (url null until made), polled through the generation or
the media endpoints, posted as ordinary media; remixes start from a status. Quota, prompt
screening and the Idempotency-Key are the web compose page's."""

from __future__ import annotations

from pathlib import Path

from aiohttp import FormData

from server.services.statuses import posts
from server.services.statuses.posts import NewStatus
from tests.api.harness import Api, open_api


async def test_a_generation_promises_its_images_as_media(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    asked = await api.post("/api/v1/dreamfeed/generations", token=token,
                           json={"prompt": "a lighthouse in fog", "size": "256x256", "n": 2},
                           headers={"Idempotency-Key": "gen-1"})
    assert asked.status == 202, asked.body
    generation = asked.body
    assert generation["state"] == "queued" and generation["prompt"] == "a lighthouse in fog"
    assert generation["size"] == "256x256" and generation["n"] == 2
    assert generation["model"] and generation["created_at"].endswith("Z")
    assert generation["error"] is None and generation["remix_of"] is None
    promised = [m["id"] for m in generation["media_attachments"]]
    assert len(promised) == 2
    assert all(m["url"] is None and m["preview_url"] is None
               for m in generation["media_attachments"])
    assert all(m["dreamfeed"]["ai_generated"] for m in generation["media_attachments"])

    # A retried request (same Idempotency-Key) is the same generation, at no cost.
    again = await api.post("/api/v1/dreamfeed/generations", token=token,
                           json={"prompt": "a lighthouse in fog", "size": "256x256", "n": 2},
                           headers={"Idempotency-Key": "gen-1"})
    assert again.status == 202 and again.body["id"] == generation["id"]
    assert [m["id"] for m in again.body["media_attachments"]] == promised

    # Each promised image polls like an upload, and takes its alt text meanwhile.
    first = await api.get(f"/api/v1/media/{promised[0]}", token=token)
    assert first.status == 206 and first.body["url"] is None
    described = await api.put(f"/api/v1/media/{promised[0]}", token=token,
                              data={"description": "a lighthouse", "focus": "0,0.5"})
    assert described.status == 200 and described.body["description"] == "a lighthouse"

    await api.run_jobs()
    done = await api.get(f"/api/v1/dreamfeed/generations/{generation['id']}", token=token)
    assert done.status == 200 and done.body["state"] == "done", done.body
    assert done.body["finished_at"] is not None
    made = done.body["media_attachments"]
    assert [m["id"] for m in made] == promised
    assert all(m["url"] and m["preview_url"] and m["blurhash"] for m in made)
    assert made[0]["description"] == "a lighthouse"
    assert made[0]["meta"]["focus"] == {"x": 0.0, "y": 0.5}
    assert all(m["dreamfeed"]["ai_generated"] is True for m in made)
    assert all(m["dreamfeed"]["digital_source_type"] for m in made)
    ready = await api.get(f"/api/v1/media/{promised[1]}", token=token)
    assert ready.status == 200 and ready.body["url"] == made[1]["url"]

    # Posted as ordinary media, with the standard POST /api/v1/statuses.
    form = FormData()
    form.add_field("status", "Fog")
    for media_id in promised:
        form.add_field("media_ids[]", media_id)
    status = await api.post("/api/v1/statuses", token=token, data=form)
    assert status.status == 200, status.body
    assert [m["id"] for m in status.body["media_attachments"]] == promised
    assert status.body["media_attachments"][0]["description"] == "a lighthouse"
    # Once posted they are no longer unposted media (Mastodon's 404).
    assert (await api.get(f"/api/v1/media/{promised[0]}", token=token)).status == 404

    # Someone else's generation does not exist for them.
    other = await api.user("bob", scopes="read write")
    assert (await api.get(f"/api/v1/dreamfeed/generations/{generation['id']}",
                          token=other)).status == 404


async def test_a_status_is_remixed_when_its_author_allows(api: Api) -> None:
    alice = await api.user("alice", scopes="read write")
    made = await api.post("/api/v1/dreamfeed/generations", token=alice,
                          data={"prompt": "a red kite", "size": "256x256"})
    await api.run_jobs()
    media_id = made.body["media_attachments"][0]["id"]
    status = await posts.create_status(api.instance.services, "alice",
                                       NewStatus(media_ids=[int(media_id)], caption="Kite",
                                                 publish_prompt=True))
    other = await api.post("/api/v1/dreamfeed/generations", token=alice,
                           json={"prompt": "a blue kite", "size": "256x256"})
    await api.run_jobs()
    closed = await posts.create_status(api.instance.services, "alice", NewStatus(
        media_ids=[int(other.body["media_attachments"][0]["id"])], caption="Mine",
        can_remix=False))

    bob = await api.user("bob", scopes="read write")
    remix = await api.post(f"/api/v1/dreamfeed/statuses/{status.id}/remix", token=bob,
                           json={"size": "256x256"})
    assert remix.status == 202, remix.body
    # The published prompt is the default; the source is the status's image.
    assert remix.body["prompt"] == "a red kite"
    assert remix.body["source_media_id"] == media_id
    assert remix.body["remix_of"] == str(status.id)
    await api.run_jobs()
    remixed = await api.get(f"/api/v1/dreamfeed/generations/{remix.body['id']}", token=bob)
    assert remixed.body["state"] == "done", remixed.body
    assert remixed.body["media_attachments"][0]["url"]

    refused = await api.post(f"/api/v1/dreamfeed/statuses/{closed.id}/remix", token=bob,
                             json={"prompt": "mine now"})
    assert refused.status == 409 and "remix" in refused.body["error"]
    missing = await api.post("/api/v1/dreamfeed/statuses/1/remix", token=bob,
                             json={"prompt": "x"})
    assert missing.status == 404


async def test_generation_refusals(database_url: str, tmp_path: Path) -> None:
    async with open_api(database_url, tmp_path, generator={"daily_limit": 2}) as api:
        token = await api.user("alice", scopes="read write")
        empty = await api.post("/api/v1/dreamfeed/generations", token=token,
                               json={"prompt": "  "})
        assert empty.status == 422 and "prompt" in empty.body["error"]
        many = await api.post("/api/v1/dreamfeed/generations", token=token,
                              json={"prompt": "cats", "n": 5})
        assert many.status == 422 and "n must be" in many.body["error"]
        reader = await api.user("alice", scopes="read")
        assert (await api.post("/api/v1/dreamfeed/generations", token=reader,
                               json={"prompt": "cats"})).status == 403
        ok = await api.post("/api/v1/dreamfeed/generations", token=token,
                            json={"prompt": "cats", "n": 2, "size": "256x256"})
        assert ok.status == 202
        over = await api.post("/api/v1/dreamfeed/generations", token=token,
                              json={"prompt": "more cats", "size": "256x256"})
        assert over.status == 429 and "daily image limit" in over.body["error"]

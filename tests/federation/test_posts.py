"""Local posts on the wire: the Note we send (field by field, with the rule each field follows),
who receives it, edits, deletes, likes, boosts and who may fetch a followers-only post."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server import appkeys
from server.services.federation.outbound.signing import signer
from server.services.statuses import boosts, favourites, posts
from server.services.statuses.remix import remix_source
from storage import statuses as status_queries
from storage.models import Account, Follow, Status
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance, settle
from tests.federation.interactions_helpers import fetch_as
from tests.federation.recording_inbox import RecordingInbox

AP = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
async def remote() -> AsyncIterator[RecordingInbox]:
    inbox = RecordingInbox()
    await inbox.start()
    yield inbox
    await inbox.stop()


async def _remote_follower(a: Instance, target_id: int, remote: RecordingInbox, name: str,
                           shared: bool = True) -> Account:
    host = f"{name}.test"
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        account = Account(
            username=name, domain=f"{host}:{remote.port}", uri=remote.url(host, f"/users/{name}"),
            inbox_url=remote.url(host, f"/users/{name}/inbox"),
            shared_inbox_url=remote.url(host, "/inbox") if shared else None)
        session.add(account)
        await session.flush()
        session.add(Follow(account_id=account.id, target_account_id=target_id,
                           state="accepted"))
        return account


def _delivered(remote: RecordingInbox, kind: str) -> list[dict[str, Any]]:
    docs = [json.loads(r.body) for r in remote.received]
    return [d for d in docs if d.get("type") == kind]


async def test_public_post_note_fields(start: StartInstance, remote: RecordingInbox) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await _remote_follower(a, alice.account_id, remote, "m1")
    await _remote_follower(a, alice.account_id, remote, "m2")  # same server: one delivery
    media = await a.make_images(alice.account_id, "two moons over a violet sea", n=2)
    view = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=media, caption="Night swim #MoonLight https://x.test/a",
        alt_texts=["two moons", "a violet sea"], spoiler_text="eye strain", language="en"))
    await a.run_jobs()

    creates = _delivered(remote, "Create")
    assert len(creates) == 2  # m1's and m2's servers differ by host name
    assert {r.path for r in remote.received} == {"/inbox"}  # shared inboxes
    create = creates[0]
    note = create["object"]
    # INTEROP.md "Posts with images": a Create of a Note, id on the actor's host.
    assert create["type"] == "Create" and note["type"] == "Note"
    assert note["id"] == view.uri == create["object"]["id"]
    assert note["id"].startswith(a.base + "/users/alice/statuses/")
    assert note["attributedTo"] == create["actor"] == a.actor("alice")
    # Public: to Public, cc followers; the activity copies the addressing.
    assert note["to"] == [PUBLIC] and note["cc"] == [f"{a.actor('alice')}/followers"]
    assert (create["to"], create["cc"]) == (note["to"], note["cc"])
    assert note["published"].endswith("Z")
    assert note["url"] == view.url
    # summary = content warning, and a content warning implies sensitive media.
    assert note["summary"] == "eye strain" and note["sensitive"] is True
    assert note["contentMap"] == {"en": note["content"]}
    # Attachments: JPEG (Pixelfed drops posts with attachments outside jpeg/png/gif),
    # public url, name = alt text, width, height, blurhash (Mastodon reads <= 9x9 comps).
    assert len(note["attachment"]) == 2
    for attachment, alt in zip(note["attachment"], ["two moons", "a violet sea"],
                               strict=True):
        assert attachment["type"] == "Document"
        assert attachment["mediaType"] == "image/jpeg"
        assert attachment["url"].startswith(a.base + "/media/")
        assert attachment["name"] == alt
        assert attachment["width"] == 256 and attachment["height"] == 256
        assert 6 <= len(attachment["blurhash"]) <= 64
    # focalPoint needs its @list term (Mastodon's context helper).
    terms = create["@context"][1]
    assert terms["focalPoint"] == {"@container": "@list", "@id": "toot:focalPoint"}
    assert terms["blurhash"] == "toot:blurhash"
    # The AI label Mastodon users see: #AIGenerated in content and a real Hashtag tag.
    assert "#<span>AIGenerated</span>" in note["content"]
    assert "AI-generated image" in note["content"]
    # Named as written (Mastodon's HashtagSerializer sends display_name), linked lowercase.
    hashtags = {t["name"]: t["href"] for t in note["tag"] if t["type"] == "Hashtag"}
    assert hashtags == {"#AIGenerated": f"{a.base}/tags/aigenerated",
                        "#MoonLight": f"{a.base}/tags/moonlight"}
    assert note["generator"] == {"type": "Application", "name": "dreamfeed-procedural 1"}
    assert "prompt" not in note  # private unless the author publishes it
    assert note["likes"]["totalItems"] == 0 and note["shares"]["totalItems"] == 0
    # Deliveries are signed by alice.
    assert f'keyId="{a.actor("alice")}#main-key"' in remote.received[0].headers["Signature"]


async def test_post_is_served_at_its_id(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    media = await a.make_images(alice.account_id, "a lighthouse")
    view = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=media, caption="Beam", publish_prompt=True))
    port = a.domain.rpartition(":")[2]
    local = view.uri.replace(a.base, f"http://127.0.0.1:{port}")
    async with aiohttp.ClientSession() as session:
        async with session.get(local, headers={"Accept": AP}) as resp:
            assert resp.status == 200
            doc = await resp.json(content_type=None)
        assert doc["id"] == view.uri and doc["prompt"] == "a lighthouse"
        async with session.get(local + "/activity", headers={"Accept": AP}) as resp:
            assert (await resp.json(content_type=None))["type"] == "Create"
        async with session.get(local, allow_redirects=False) as resp:
            assert resp.status == 302 and resp.headers["Location"] == view.url
        page = view.url.replace(a.base, f"http://127.0.0.1:{port}")
        async with session.get(page) as resp:
            html = await resp.text()
            assert resp.status == 200 and "Beam" in html and "og:image" in html


async def test_followers_only_post_is_served_only_to_followers(start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    alice = await a.add_user("alice")
    await b.add_user("bob")
    await b.add_user("carol")
    from server.services.social import follows
    await follows.follow(b.services, "bob", a.handle("alice"))
    await settle([a, b])
    media = await a.make_images(alice.account_id, "a secret garden")
    view = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=media, visibility="private"))

    async def status_as(username: str | None) -> int:
        return (await fetch_as(b, username, view.uri))[0]

    assert await status_as(None) == 404                       # unsigned
    assert await status_as("carol") == 404                    # a stranger's signed fetch
    instance = b.services.instance_signing_key()            # the instance actor
    resp = await b.services.http.get(view.uri, headers={"Accept": AP}, sign=signer(instance))
    assert resp.status == 404
    assert await status_as("bob") == 200                      # an accepted follower


async def test_edit_and_delete_federate(start: StartInstance, remote: RecordingInbox) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await _remote_follower(a, alice.account_id, remote, "m1")
    media = await a.make_images(alice.account_id, "a red fox")
    view = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=media, alt_texts=["fox"]))
    await posts.edit_status(a.services, "alice", view.id, alt_texts=["a red fox in snow"])
    await a.run_jobs()
    [update] = _delivered(remote, "Update")
    assert update["object"]["id"] == view.uri and "updated" in update["object"]
    assert update["object"]["attachment"][0]["name"] == "a red fox in snow"
    # The attachment keeps its URL: Mastodon matches attachments by URL on Update.
    [create] = _delivered(remote, "Create")
    assert update["object"]["attachment"][0]["url"] == create["object"]["attachment"][0]["url"]

    image_url = create["object"]["attachment"][0]["url"]
    port = a.domain.rpartition(":")[2]
    async with a.app[appkeys.DATABASE].reader() as session:
        [stored] = await status_queries.attachments(session, view.id)
    files = [Path(a.config.media.path) / key
             for key in (stored.original_key, stored.jpeg_key, stored.webp_key, stored.thumb_key)]
    assert all(f.is_file() for f in files)

    async with aiohttp.ClientSession() as session:
        async def status_of(url: str, **headers: str) -> int:
            async with session.get(url.replace(a.base, f"http://127.0.0.1:{port}"),
                                   headers=headers) as resp:
                return resp.status

        assert await status_of(image_url) == 200
        await posts.delete_status(a.services, "alice", view.id)
        # Its image is gone at once, before the job removes rows and files (Mastodon's
        # RemoveStatusService removes a deleted status's media too).
        assert await status_of(image_url) == 404
        await a.run_jobs()
        assert await status_of(image_url) == 404
    [delete] = _delivered(remote, "Delete")
    assert delete["object"] == {"id": view.uri, "type": "Tombstone", "formerType": "Note"}
    async with a.app[appkeys.DATABASE].reader() as session:
        assert await status_queries.attachments(session, view.id) == []
    assert not any(f.exists() for f in files)
    async with aiohttp.ClientSession() as session, session.get(
            view.uri.replace(a.base, f"http://127.0.0.1:{port}"),
            headers={"Accept": AP}) as resp:
        assert resp.status == 410
        assert (await resp.json(content_type=None))["type"] == "Tombstone"


async def test_like_and_boost_a_remote_post(start: StartInstance,
                                           remote: RecordingInbox) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    author = await _remote_follower(a, alice.account_id, remote, "m1", shared=False)
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        status = Status(uri=remote.url("m1.test", "/notes/1"), account_id=author.id,
                        local=False, visibility="public", content="<p>hi</p>")
        session.add(status)
    await favourites.favourite(a.services, "alice", status.uri)
    await boosts.boost(a.services, "alice", status.uri)
    await a.run_jobs()
    [like] = _delivered(remote, "Like")
    assert like["object"] == status.uri and like["actor"] == a.actor("alice")
    [announce] = _delivered(remote, "Announce")
    assert announce["object"] == status.uri and announce["to"] == [PUBLIC]
    await favourites.unfavourite(a.services, "alice", status.uri)
    await boosts.unboost(a.services, "alice", status.uri)
    await a.run_jobs()
    undos = _delivered(remote, "Undo")
    assert {u["object"]["type"] for u in undos} == {"Like", "Announce"}
    async with a.app[appkeys.DATABASE].reader() as session:
        refreshed = await session.get(Status, status.id)
    assert refreshed is not None
    assert (refreshed.favourites_count, refreshed.reblogs_count) == (0, 0)


async def test_post_refusals(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    bob = await a.add_user("bob")
    media = await a.make_images(alice.account_id, "a cat", n=1)
    bobs = await a.make_images(bob.account_id, "a dog", n=1)
    from server.services.errors import ServiceError
    for kwargs, message in [
        ({"media_ids": []}, "1 to 4 images"),
        ({"media_ids": bobs}, "no image"),
        ({"media_ids": media, "visibility": "secret"}, "visibility must be one of"),
        ({"media_ids": media, "caption": "x" * 3000}, "longer than"),
        ({"media_ids": media, "alt_texts": ["a", "b"]}, "one alt text per image"),
    ]:
        with pytest.raises(ServiceError, match=message):
            draft = posts.NewStatus(**kwargs)  # type: ignore[arg-type]
            await posts.create_status(a.services, "alice", draft)
    first = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=media, idempotency_key="k1"))
    again = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=media, idempotency_key="k1"))
    assert first.id == again.id  # a double submit makes one post


async def test_remix_links_its_parent(start: StartInstance, remote: RecordingInbox) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    bob = await a.add_user("bob")
    await _remote_follower(a, bob.account_id, remote, "m1")
    parent = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=await a.make_images(alice.account_id, "a koi"), publish_prompt=True))
    source = await remix_source(a.services, str(parent.id))
    assert source.prompt == "a koi" and source.media_id is not None
    from server.services.generation import generate
    images = a.app[appkeys.SERVICES]
    view = await generate.request_generation(images, bob.account_id, "a koi, in gold",
                                               size="256x256", source_media_id=source.media_id)
    await a.run_jobs()
    done = await generate.get_generation(images, view.id)
    remix = await posts.create_status(a.services, "bob", posts.NewStatus(
        media_ids=[m.id for m in done.media], remix_of=parent.uri))
    await a.run_jobs()
    [create] = _delivered(remote, "Create")
    note = create["object"]
    assert note["id"] == remix.uri and note["remixOf"] == parent.uri
    assert f"Remix of <a href=\"{parent.url}\"" in note["content"]
    [link] = [t for t in note["tag"] if t["type"] == "Link"]  # FEP-e232
    assert link["href"] == parent.uri
    assert link["mediaType"] == 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    async with a.app[appkeys.DATABASE].reader() as session:
        stored = await session.get(Status, parent.id)
    assert stored is not None and stored.remixes_count == 1

    private = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=await a.make_images(alice.account_id, "x"), visibility="private"))
    from server.services.errors import Conflict
    with pytest.raises(Conflict, match="does not allow remixes"):
        await remix_source(a.services, str(private.id))

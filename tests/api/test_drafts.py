"""The web's drafts and the client API's media are the same objects: an unposted generated
image is a ready media id until it is posted or discarded, from either side. Discarding on the
web answers the API's GET with 404; deleting through the API empties the tray; a draft posted
from the web is the post's attachment."""

from __future__ import annotations

import re

from tests.api.harness import Api
from tests.server.web_helpers import Browser, browser

PASSWORD = "correct horse"  # what Instance.add_user gives


async def _tray(b: Browser) -> list[str]:
    page = (await b.get("/compose")).text
    return re.findall(r'<li class="draft" id="draft-(\d+)">', page)


async def test_drafts_are_the_apis_unposted_media(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    account_id = int(api.account_id("alice"))
    made = [str(m) for m in await api.instance.make_images(account_id, "a windmill", n=3)]
    for media_id in made:
        ready = await api.get(f"/api/v1/media/{media_id}", token=token)
        assert ready.status == 200 and ready.body["url"], ready.body
    discarded, deleted, posted = made
    async with browser(api.instance) as b:
        await b.sign_in("alice", PASSWORD)
        assert sorted(await _tray(b)) == sorted(made)

        gone = await b.post(f"/compose/drafts/{discarded}/discard", {}, form_page="/compose")
        assert gone.status == 303
        assert (await api.get(f"/api/v1/media/{discarded}", token=token)).status == 404

        assert (await api.delete(f"/api/v1/media/{deleted}", token=token)).status == 200
        assert await _tray(b) == [posted]

        generation = re.search(r"generation=(\d+)", (await b.get("/compose")).text)
        assert generation
        answer = await b.post("/compose/post", {"generation": generation.group(1),
                                                "media_id": posted, "caption": "A windmill",
                                                f"alt_{posted}": "A windmill by a canal",
                                                "visibility": "public"},
                              form_page="/compose")
        assert answer.status == 303, answer.text
        status_id = answer.location.rsplit("/", 1)[1]
        assert await _tray(b) == []
    status = await api.get(f"/api/v1/statuses/{status_id}", token=token)
    assert [m["id"] for m in status.body["media_attachments"]] == [posted]

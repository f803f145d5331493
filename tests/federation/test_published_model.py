"""The model published with a prompt is the one that drew the image, as the image service
answers it: Dreamfeed's procedural engine, not the `model` the configuration asks for (which
the generator ignores). Real generator on loopback, real post, fetched over HTTP."""

from __future__ import annotations

from server import appkeys
from server.services.statuses import posts
from storage.generations import get_generation
from storage.media import attachment_by_id
from tests.federation.conftest import StartInstance
from tests.server.web_helpers import browser

AP = "application/activity+json"


async def test_the_published_model_is_the_engine_that_drew_it(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    assert a.config.generator.model == "gpt-image-2"  # what it asks for
    media = await a.make_images(alice.account_id, "a lighthouse at dusk")
    view = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=media, caption="Beam", publish_prompt=True))
    session = a.services.http
    note = (await session.get(view.uri, headers={"Accept": AP})).json()
    assert note["prompt"] == "a lighthouse at dusk"
    assert note["model"] == "dreamfeed-procedural"
    async with browser(a) as b:
        page = await b.get(f"/@alice/{view.id}")
    assert "<dt>Model</dt><dd>dreamfeed-procedural</dd>" in page.text
    assert "gpt-image-2" not in page.text
    async with a.app[appkeys.DATABASE].reader() as db:
        attachment = await attachment_by_id(db, media[0])
        assert attachment is not None and attachment.generation_id is not None
        generation = await get_generation(db, attachment.generation_id)
        assert generation is not None and generation.model == "dreamfeed-procedural"

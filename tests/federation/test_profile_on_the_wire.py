"""A local profile as other servers and apps see it (issue 18): the bio is HTML with its
links, #hashtags and @mentions linked as Mastodon renders a bio (it was plain text on the
wire), the same in the actor, in the actor's Update, in the client API's `note` and on the
web profile; a person without pictures carries the default avatar and header the client
API serves. Real HTTP: the fake Mastodon server follows alice and receives her Update."""

from __future__ import annotations

import json
from typing import Any

from server.services.accounts import profile_settings
from server.services.federation.remote import resolve_account
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote
from tests.federation.harness import Instance
from tests.federation.interactions_helpers import send
from tests.server.web_helpers import browser

BIO = ("Painter of #Foxes at https://alice.example\n\n"
       "with @bob@{masto} and @ghost@{masto}, and @carol")


async def _actor(a: Instance, username: str) -> dict[str, Any]:
    async with browser(a) as web, web.session.get(
            a.actor(username), headers={"Accept": "application/activity+json"}) as response:
        assert response.status == 200
        doc: dict[str, Any] = json.loads(await response.text())
    return doc


def _check_bio(html: str, a: Instance, masto: FakeRemote) -> None:
    assert "<p>Painter of " in html
    assert (f'<a href="{a.base}/tags/foxes" class="mention hashtag" rel="tag">'
            '#<span>Foxes</span></a>') in html
    assert ('<a href="https://alice.example" target="_blank" '
            'rel="nofollow noopener noreferrer me" translate="no">'
            '<span class="invisible">https://</span>') in html
    # Known accounts are h-card mentions (remote: its page there; local: ours).
    assert (f'<span class="h-card" translate="no"><a href="{masto.base}/@bob" '
            'class="u-url mention">@<span>bob</span></a></span>') in html
    assert f'<a href="{a.base}/@carol" class="u-url mention">@<span>carol</span></a>' in html
    # An account nobody here knows stays text, as in Mastodon.
    assert f"@ghost@{masto.domain}" in html and "ghost</span>" not in html
    assert "</p><p>with " in html


async def test_bio_is_linked_on_the_wire_in_the_api_and_on_the_page(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await a.add_user("carol")
    bob = masto.add_actor("bob")
    await resolve_account(a.services, bob.handle)
    await send(masto, bob, a, bob.activity("Follow", a.actor("alice")))
    masto.forget()

    await profile_settings.update_profile(a.services, a.services.media, alice.account_id,
                                          note=BIO.format(masto=masto.domain))
    await a.run_jobs()

    actor = await _actor(a, "alice")
    _check_bio(actor["summary"], a, masto)
    assert actor["summary"].startswith("<p>") and actor["summary"].endswith("</p>")
    [update] = masto.deliveries("Update")
    assert update.json()["object"]["summary"] == actor["summary"]

    async with browser(a) as web:
        page = await web.get("/@alice")
        async with web.session.get(f"{a.base}/api/v1/accounts/{alice.account_id}") as answer:
            entity = await answer.json()
    _check_bio(entity["note"], a, masto)
    assert entity["note"] == actor["summary"]
    _check_bio(page.text, a, masto)


async def test_a_person_without_pictures_carries_the_defaults(start: StartInstance) -> None:
    """Takahē and GoToSocial showed no image for our accounts: the actor names the same
    default avatar and header as the client API, and they are served."""
    a = await start("a")
    alice = await a.add_user("alice")
    actor = await _actor(a, "alice")
    async with browser(a) as web:
        async with web.session.get(f"{a.base}/api/v1/accounts/{alice.account_id}") as answer:
            entity = await answer.json()
        assert actor["icon"] == {"type": "Image", "mediaType": "image/png",
                                 "url": entity["avatar"]}
        assert actor["image"] == {"type": "Image", "mediaType": "image/png",
                                  "url": entity["header"]}
        for url in (entity["avatar"], entity["header"]):
            async with web.session.get(url) as served:
                assert served.status == 200 and served.content_type == "image/png"

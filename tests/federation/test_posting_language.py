"""Posts carry a language (issue 18: we sent no `contentMap` unless the CLI was given one):
the post's own, else its author's default posting language (web settings, or the client
API's source[language]), else the instance's ([instance] default_language), as Mastodon's
PostStatusService. Real HTTP: the fake Mastodon server follows alice and reads her Notes."""

from __future__ import annotations

from typing import Any

from server.services.statuses import posts
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote
from tests.federation.harness import Instance
from tests.federation.interactions_helpers import send
from tests.server.web_helpers import browser


async def _followed(a: Instance, masto: FakeRemote) -> int:
    alice = await a.add_user("alice")
    bob = masto.add_actor("bob")
    await send(masto, bob, a, bob.activity("Follow", a.actor("alice")))
    return alice.account_id


async def _note(a: Instance, masto: FakeRemote, account_id: int,
                language: str | None = None) -> dict[str, Any]:
    [media_id] = await a.make_images(account_id, "a lighthouse")
    masto.forget()
    await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[media_id], caption="Hello", language=language))
    await a.run_jobs()
    [create] = masto.deliveries("Create")
    note: dict[str, Any] = create.json()["object"]
    return note


async def test_the_instance_default_then_the_users_then_the_posts(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    alice_id = await _followed(a, masto)

    note = await _note(a, masto, alice_id)
    assert note["contentMap"] == {"en": note["content"]}  # [instance] default_language

    async with browser(a) as web:
        await web.sign_in("alice", "correct horse")
        page = await web.get("/settings/profile")
        assert 'name="language" value=""' in page.text and 'placeholder="en"' in page.text
        saved = await web.post("/settings/profile", {
            "display_name": "", "note": "", "language": "pt_br"})
        assert saved.status == 303, saved.text
        page = await web.get("/settings/profile")
        assert 'name="language" value="pt-BR"' in page.text
        # Not a language: refused, nothing changed.
        refused = await web.post("/settings/profile", {
            "display_name": "Changed", "note": "", "language": "klingon!"})
        assert refused.status == 422 and "not a language code" in refused.text
        assert 'name="language" value="pt-BR"' in (await web.get("/settings/profile")).text

    note = await _note(a, masto, alice_id)
    assert note["contentMap"] == {"pt-BR": note["content"]}
    note = await _note(a, masto, alice_id, language="fr")  # the post's own wins
    assert note["contentMap"] == {"fr": note["content"]}


async def test_no_instance_default_means_no_language(start: StartInstance,
                                                     masto: FakeRemote) -> None:
    a = await start("a", instance={"default_language": ""})
    alice_id = await _followed(a, masto)
    note = await _note(a, masto, alice_id)
    assert "contentMap" not in note

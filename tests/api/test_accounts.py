"""Client API accounts: the signed-in user's own account (verify and update credentials),
finding accounts (by id, ids, acct, search) and their scopes and errors."""

from __future__ import annotations

import asyncio
import io

from aiohttp import FormData
from PIL import Image
from sqlalchemy import select, update

from server import appkeys
from storage.models import Account, Follow, OutgoingActivity
from tests.api.harness import Api


def _png(color: str = "teal", size: tuple[int, int] = (64, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


async def _set(api: Api, username: str, **values: object) -> None:
    async with api.instance.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(Account).where(
            Account.id == int(api.account_id(username))).values(**values))


async def test_verify_credentials_has_the_source_and_needs_a_user_with_profile(
        api: Api) -> None:
    token = await api.user("alice")
    answer = await api.get("/api/v1/accounts/verify_credentials", token=token)
    assert answer.status == 200
    me = answer.body
    assert me["id"] == api.account_id("alice") and me["acct"] == "alice"
    assert me["source"]["privacy"] == "public" and me["source"]["note"] == ""
    assert me["source"]["follow_requests_count"] == 0
    # Never null: the default images.
    assert me["avatar"].endswith("/static/avatar.png")
    assert me["header"].endswith("/static/header.png")
    assert me["role"]["name"] == ""
    # `profile` alone is enough (Mastodon 4.3), and read:accounts.
    for scopes in ("profile", "read:accounts"):
        narrow = await api.user("alice", scopes=scopes)
        assert (await api.get("/api/v1/accounts/verify_credentials",
                              token=narrow)).status == 200
    wrong = await api.user("alice", scopes="write")
    refused = await api.get("/api/v1/accounts/verify_credentials", token=wrong)
    assert refused.status == 403
    assert refused.body == {"error": "This action is outside the authorized scopes"}
    app = await api.app_token(scopes="read")
    needs_user = await api.get("/api/v1/accounts/verify_credentials", token=app)
    assert needs_user.status == 422
    assert needs_user.body["error"] == "This method requires an authenticated user"
    assert (await api.get("/api/v1/accounts/verify_credentials")).status == 401
    # Pending follow requests are counted.
    bob = await api.user("bob")
    await _set(api, "alice", manually_approves_followers=True)
    await api.post(f"/api/v1/accounts/{api.account_id('alice')}/follow", token=bob)
    counted = await api.get("/api/v1/accounts/verify_credentials", token=token)
    assert counted.body["source"]["follow_requests_count"] == 1
    assert counted.body["locked"] is True


async def test_update_credentials_changes_the_profile_as_a_form_and_as_json(api: Api) -> None:
    token = await api.user("alice")
    form = FormData()
    form.add_field("display_name", "Alice A.")
    form.add_field("note", "Painter of #clouds.\nhttps://example.com")
    form.add_field("fields_attributes[0][name]", "Site")
    form.add_field("fields_attributes[0][value]", "https://alice.example")
    form.add_field("fields_attributes[1][name]", "")
    form.add_field("fields_attributes[1][value]", "")
    form.add_field("locked", "true")
    form.add_field("bot", "1")
    form.add_field("avatar", _png("red"), filename="me.png", content_type="image/png")
    form.add_field("header", _png("blue", (300, 100)), filename="h.png",
                   content_type="image/png")
    answer = await api.patch("/api/v1/accounts/update_credentials", token=token, data=form)
    assert answer.status == 200, answer.body
    me = answer.body
    assert me["display_name"] == "Alice A." and me["locked"] is True and me["bot"] is True
    assert "clouds" in me["note"] and me["note"].startswith("<p>")
    assert me["source"]["note"] == "Painter of #clouds.\nhttps://example.com"
    assert [(f["name"], f["value"]) for f in me["source"]["fields"]] == [
        ("Site", "https://alice.example")]
    assert 'href="https://alice.example"' in me["fields"][0]["value"]
    assert "/media/profiles/" in me["avatar"] and "/media/profiles/" in me["header"]
    async with api.instance.app[appkeys.DATABASE].reader() as session:
        stored = await session.get(Account, int(api.account_id("alice")))
        assert stored is not None and stored.actor_type == "Service"
    # JSON, with fields as an array; what is not given stays.
    answer = await api.patch("/api/v1/accounts/update_credentials", token=token,
                             json={"fields_attributes": [{"name": "A", "value": "1"},
                                                         {"name": "B", "value": "2"}],
                                   "locked": False, "discoverable": False})
    me = answer.body
    assert [f["name"] for f in me["fields"]] == ["A", "B"]
    assert me["locked"] is False and me["discoverable"] is False
    assert me["display_name"] == "Alice A." and me["bot"] is True
    # As a JSON object keyed by index, in the order given.
    answer = await api.patch("/api/v1/accounts/update_credentials", token=token,
                             json={"fields_attributes": {"7": {"name": "Z", "value": "z"},
                                                         "2": {"name": "Y", "value": "y"}}})
    assert [f["name"] for f in answer.body["fields"]] == ["Z", "Y"]
    # Refused input: 422 with a message; scopes checked.
    too_many = [{"name": str(i), "value": "v"} for i in range(5)]
    refused = await api.patch("/api/v1/accounts/update_credentials", token=token,
                              json={"fields_attributes": too_many})
    assert refused.status == 422 and "at most 4" in refused.body["error"]
    bad_image = FormData()
    bad_image.add_field("avatar", b"not an image", filename="x.png", content_type="image/png")
    refused = await api.patch("/api/v1/accounts/update_credentials", token=token,
                              data=bad_image)
    assert refused.status == 422 and "avatar" in refused.body["error"]
    reader = await api.user("alice", scopes="read")
    assert (await api.patch("/api/v1/accounts/update_credentials", token=reader,
                            json={"note": "x"})).status == 403


async def test_a_profile_change_federates_as_an_actor_update(api: Api) -> None:
    token = await api.user("alice")
    alice_id = int(api.account_id("alice"))
    # A remote follower: its server is told of the change (an Update of the actor queued).
    async with api.instance.app[appkeys.DATABASE].writer.begin() as session:
        remote = Account(username="carol", domain="remote.test",
                         uri="https://remote.test/carol", inbox_url="https://remote.test/inbox")
        session.add(remote)
        await session.flush()
        session.add(Follow(account_id=remote.id, target_account_id=alice_id,
                           state="accepted", uri="https://remote.test/follows/1"))
    await api.patch("/api/v1/accounts/update_credentials", token=token,
                    json={"display_name": "Alice", "locked": True,
                          "fields_attributes": [{"name": "Site",
                                                 "value": "https://alice.example"}]})
    async with api.instance.app[appkeys.DATABASE].reader() as session:
        bodies = (await session.execute(select(OutgoingActivity.body).where(
            OutgoingActivity.account_id == alice_id))).scalars().all()
    updates = [b for b in bodies if b["type"] == "Update"]
    assert len(updates) == 1
    assert updates[0]["object"]["name"] == "Alice"
    actor = updates[0]["object"]
    assert actor["manuallyApprovesFollowers"] is True
    # Profile fields go out as Mastodon's PropertyValue attachments, links with rel="me".
    [site] = actor["attachment"]
    assert site["type"] == "PropertyValue" and site["name"] == "Site"
    assert 'href="https://alice.example"' in site["value"] and " me\"" in site["value"]
    assert updates[0]["@context"][2]["PropertyValue"] == "schema:PropertyValue"


async def test_mastodon_py_reads_and_updates_the_account(api: Api) -> None:
    token = await api.user("alice")
    client = api.mastodon(token)
    me = await asyncio.to_thread(client.account_verify_credentials)
    assert me.acct == "alice" and me.source.privacy == "public"
    changed = await asyncio.to_thread(
        client.account_update_credentials, display_name="Alice", note="Hello",
        avatar=_png("green"), avatar_mime_type="image/png",
        fields=[("Pronouns", "she/her")])
    assert changed.display_name == "Alice" and changed.source.note == "Hello"
    assert changed.fields[0].name == "Pronouns"
    assert "/media/profiles/" in changed.avatar
    again = await asyncio.to_thread(client.account, me.id)
    assert again.display_name == "Alice"


async def test_an_account_by_id_ids_and_acct(api: Api) -> None:
    await api.user("alice")
    bob = await api.user("bob")
    alice_id = api.account_id("alice")
    # Public: no token needed; a token needs read:accounts.
    shown = await api.get(f"/api/v1/accounts/{alice_id}")
    assert shown.status == 200 and shown.body["username"] == "alice"
    assert shown.body["url"].endswith("/@alice")
    missing = await api.get("/api/v1/accounts/12345")
    assert missing.status == 404 and missing.body == {"error": "Record not found"}
    assert (await api.get("/api/v1/accounts/not-a-number")).status == 404
    writer = await api.user("bob", scopes="write")
    assert (await api.get(f"/api/v1/accounts/{alice_id}", token=writer)).status == 403
    assert (await api.get(f"/api/v1/accounts/{alice_id}", token=bob)).status == 200
    many = await api.get("/api/v1/accounts",
                         params=[("id[]", alice_id), ("id[]", "999"),
                                 ("id[]", api.account_id("bob")), ("id[]", alice_id)])
    assert [a["username"] for a in many.body] == ["alice", "bob"]
    too_many = await api.get("/api/v1/accounts",
                             params=[("id[]", str(i)) for i in range(1, 42)])
    assert too_many.status == 422
    found = await api.get("/api/v1/accounts/lookup", params={"acct": "alice"})
    assert found.status == 200 and found.body["id"] == alice_id
    found = await api.get("/api/v1/accounts/lookup",
                          params={"acct": f"@alice@{api.instance.domain}"})
    assert found.body["id"] == alice_id
    unknown = await api.get("/api/v1/accounts/lookup", params={"acct": "nobody@far.test"})
    assert unknown.status == 404


async def test_suspended_deleted_and_pending_accounts(api: Api) -> None:
    await api.user("alice")
    await api.user("sam")
    await api.user("dora")
    await _set(api, "sam", suspended_at=Account.created_at)
    await _set(api, "dora", deleted_at=Account.created_at)
    for name in ("sam", "dora"):
        shown = await api.get(f"/api/v1/accounts/{api.account_id(name)}")
        assert shown.status == 200 and shown.body["suspended"] is True
        assert shown.body["display_name"] == "" and shown.body["fields"] == []
        listed = await api.get(f"/api/v1/accounts/{api.account_id(name)}/statuses")
        assert listed.status == 200 and listed.body == []
    # A sign-up waiting for approval does not exist for the API.
    pending = await api.instance.add_user("pat", approved=False)
    assert (await api.get(f"/api/v1/accounts/{pending.account_id}")).status == 404
    assert (await api.get("/api/v1/accounts/lookup", params={"acct": "pat"})).status == 404
    assert (await api.get("/api/v1/accounts", params={"id[]": str(pending.account_id)})
            ).body == []


async def test_search_by_words_handle_and_following(api: Api) -> None:
    token = await api.user("alice")
    await api.user("bob")
    await api.user("bobby")
    found = await api.get("/api/v1/accounts/search", token=token, params={"q": "bob"})
    assert found.status == 200
    assert [a["username"] for a in found.body] == ["bob", "bobby"]
    limited = await api.get("/api/v1/accounts/search", token=token,
                            params={"q": "bob", "limit": 1, "offset": 1})
    assert [a["username"] for a in limited.body] == ["bobby"]
    await api.post(f"/api/v1/accounts/{api.account_id('bobby')}/follow", token=token)
    followed = await api.get("/api/v1/accounts/search", token=token,
                             params={"q": "bob", "following": "true"})
    assert [a["username"] for a in followed.body] == ["bobby"]
    exact = await api.get("/api/v1/accounts/search", token=token,
                          params={"q": f"bob@{api.instance.domain}"})
    assert [a["username"] for a in exact.body] == ["bob"]
    # resolve=true on an unreachable server: nothing, not an error.
    unknown = await api.get("/api/v1/accounts/search", token=token,
                            params={"q": "someone@unreachable.test", "resolve": "true"})
    assert unknown.status == 200 and unknown.body == []
    assert (await api.get("/api/v1/accounts/search", params={"q": "bob"})).status == 401


async def test_featured_tags_and_endorsements_are_empty(api: Api) -> None:
    token = await api.user("alice")
    alice_id = api.account_id("alice")
    assert (await api.get(f"/api/v1/accounts/{alice_id}/featured_tags")).body == []
    assert (await api.get("/api/v1/accounts/404/featured_tags")).status == 404
    assert (await api.get("/api/v1/featured_tags", token=token)).body == []
    assert (await api.get("/api/v1/endorsements", token=token)).body == []
    assert (await api.get("/api/v1/endorsements")).status == 401

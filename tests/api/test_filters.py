"""Filters through the client API, v1 and v2, over the user's real filters (the ones the web
app and the timelines apply): each is one phrase, so a v2 filter has exactly one keyword."""

from __future__ import annotations

import asyncio

from aiohttp import FormData

from server.services.social import filters
from tests.api.harness import Api


async def test_v2_filters_create_read_update_delete(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    made = await api.post("/api/v2/filters", token=token, json={
        "title": "Spoilers", "context": ["home", "public"], "filter_action": "hide",
        "expires_in": 3600, "keywords_attributes": [{"keyword": "finale", "whole_word": False}]})
    assert made.status == 200, made.body
    body = made.body
    assert body["title"] == "finale"  # the title is the phrase
    assert body["context"] == ["home", "public"] and body["filter_action"] == "hide"
    assert body["keywords"] == [{"id": body["id"], "keyword": "finale", "whole_word": False}]
    assert body["statuses"] == [] and body["expires_at"].endswith("Z")

    # It is the real filter: the one the timelines apply.
    [stored] = await filters.list_filters(api.instance.services, "alice")
    assert (str(stored.id), stored.phrase, stored.action) == (body["id"], "finale", "hide")
    assert not stored.whole_word and stored.expires_at is not None

    listed = await api.get("/api/v2/filters", token=token)
    assert [f["id"] for f in listed.body] == [body["id"]]
    assert (await api.get(f"/api/v2/filters/{body['id']}", token=token)).body == body

    # An edit: its keyword (named by its id), contexts, action, and no expiry any more.
    edited = await api.put(f"/api/v2/filters/{body['id']}", token=token, json={
        "title": "ignored", "context": ["thread"], "filter_action": "warn", "expires_in": "",
        "keywords_attributes": [{"id": body["id"], "keyword": "season finale",
                                 "whole_word": True}]})
    assert edited.status == 200, edited.body
    assert edited.body["keywords"][0] == {"id": body["id"], "keyword": "season finale",
                                          "whole_word": True}
    assert edited.body["context"] == ["thread"] and edited.body["filter_action"] == "warn"
    assert edited.body["expires_at"] is None

    # Its keyword on its own: the same id.
    keywords = await api.get(f"/api/v2/filters/{body['id']}/keywords", token=token)
    assert keywords.body == [edited.body["keywords"][0]]
    renamed = await api.put(f"/api/v2/filters/keywords/{body['id']}", token=token,
                            data={"keyword": "finale", "whole_word": "false"})
    assert renamed.body == {"id": body["id"], "keyword": "finale", "whole_word": False}
    assert (await api.get(f"/api/v2/filters/keywords/{body['id']}", token=token)).body \
        == renamed.body
    assert (await api.get(f"/api/v2/filters/{body['id']}/statuses", token=token)).body == []

    gone = await api.delete(f"/api/v2/filters/{body['id']}", token=token)
    assert gone.status == 200 and gone.body == {}
    assert (await api.get(f"/api/v2/filters/{body['id']}", token=token)).status == 404
    assert await filters.list_filters(api.instance.services, "alice") == []


async def test_v2_keywords_from_a_form_and_what_one_keyword_cannot_hold(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    # Rails' array-of-hashes form, as form-posting apps send it.
    form = FormData([("title", "Cats"), ("context[]", "home"), ("context[]", "notifications"),
                     ("keywords_attributes[][keyword]", "cat"),
                     ("keywords_attributes[][whole_word]", "1")])
    made = await api.post("/api/v2/filters", token=token, data=form)
    assert made.status == 200, made.body
    assert made.body["keywords"][0]["keyword"] == "cat"
    assert made.body["filter_action"] == "warn"  # Mastodon's default
    filter_id = made.body["id"]

    for refused in (
            {"title": "None", "context": ["home"]},
            {"title": "Two", "context": ["home"], "keywords_attributes": [
                {"keyword": "a"}, {"keyword": "b"}]},
            {"title": "Blur", "context": ["home"], "filter_action": "blur",
             "keywords_attributes": [{"keyword": "a"}]},
            {"title": "Nowhere", "context": ["elsewhere"],
             "keywords_attributes": [{"keyword": "a"}]}):
        answer = await api.post("/api/v2/filters", token=token, json=refused)
        assert answer.status == 422, refused
        assert answer.body["error"]
    second = await api.post(f"/api/v2/filters/{filter_id}/keywords", token=token,
                            data={"keyword": "kitten"})
    assert second.status == 422 and "one keyword" in second.body["error"]
    added = await api.put(f"/api/v2/filters/{filter_id}", token=token,
                          json={"keywords_attributes": [{"keyword": "kitten"}]})
    assert added.status == 422
    dropped = await api.put(f"/api/v2/filters/{filter_id}", token=token, json={
        "keywords_attributes": [{"id": filter_id, "_destroy": True}]})
    assert dropped.status == 422 and "delete the filter" in dropped.body["error"]
    assert (await api.delete(f"/api/v2/filters/keywords/{filter_id}", token=token)).status \
        == 422
    assert [f.phrase for f in await filters.list_filters(api.instance.services, "alice")] \
        == ["cat"]


async def test_v1_filters(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    made = await api.post("/api/v1/filters", token=token, data=FormData([
        ("phrase", "#AIGenerated"), ("context[]", "public"), ("irreversible", "true"),
        ("whole_word", "true"), ("expires_in", "86400")]))
    assert made.status == 200, made.body
    body = made.body
    assert body["phrase"] == "#AIGenerated" and body["context"] == ["public"]
    assert body["irreversible"] is True and body["whole_word"] is True
    assert body["expires_at"] is not None
    [stored] = await filters.list_filters(api.instance.services, "alice")
    assert stored.action == "hide"

    assert (await api.get("/api/v1/filters", token=token)).body == [body]
    assert (await api.get(f"/api/v1/filters/{body['id']}", token=token)).body == body
    # v2 sees the same filter under the same id.
    assert (await api.get(f"/api/v2/filters/{body['id']}", token=token)).body["keywords"][0][
        "keyword"] == "#AIGenerated"

    edited = await api.put(f"/api/v1/filters/{body['id']}", token=token, json={
        "phrase": "robots", "context": ["home", "thread"], "irreversible": False,
        "expires_in": None})
    assert edited.status == 200, edited.body
    assert edited.body["phrase"] == "robots" and edited.body["irreversible"] is False
    assert edited.body["context"] == ["home", "thread"] and edited.body["expires_at"] is None
    assert edited.body["whole_word"] is True  # not sent: unchanged

    assert (await api.post("/api/v1/filters", token=token,
                           json={"phrase": "", "context": ["home"]})).status == 422
    assert (await api.delete(f"/api/v1/filters/{body['id']}", token=token)).body == {}
    assert (await api.get("/api/v1/filters", token=token)).body == []


async def test_filters_are_the_users_own_and_need_their_scopes(api: Api) -> None:
    alice = await api.user("alice", scopes="read write")
    bob = await api.user("bob", scopes="read write")
    made = await api.post("/api/v1/filters", token=alice,
                          json={"phrase": "rain", "context": ["home"]})
    filter_id = made.body["id"]
    for path in (f"/api/v1/filters/{filter_id}", f"/api/v2/filters/{filter_id}",
                 f"/api/v2/filters/keywords/{filter_id}"):
        assert (await api.get(path, token=bob)).status == 404
        assert (await api.delete(path, token=bob)).status in (404, 405)
    assert (await api.put(f"/api/v2/filters/{filter_id}", token=bob,
                          json={"context": ["public"]})).status == 404
    assert (await api.get("/api/v2/filters", token=bob)).body == []
    assert (await api.get("/api/v1/filters/not-a-number", token=alice)).status == 404

    reader = await api.user("alice", scopes="read:filters")
    assert (await api.get("/api/v2/filters", token=reader)).status == 200
    assert (await api.post("/api/v2/filters", token=reader, json={
        "title": "x", "context": ["home"], "keywords_attributes": [{"keyword": "x"}]})
    ).status == 403
    elsewhere = await api.user("alice", scopes="read:statuses")
    assert (await api.get("/api/v1/filters", token=elsewhere)).status == 403
    assert (await api.get("/api/v1/filters")).status == 401


async def test_mastodon_py_manages_filters(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    client = api.mastodon(token)
    made = await asyncio.to_thread(
        client.create_filter_v2, "Weather", ["home", "public"], "warn", None,
        [{"keyword": "storm", "whole_word": True}])
    assert made.title == "storm" and made.keywords[0].keyword == "storm"
    listed = await asyncio.to_thread(client.filters_v2)
    assert [f.id for f in listed] == [made.id]
    v1 = await asyncio.to_thread(client.filters)
    assert v1[0].phrase == "storm" and v1[0].irreversible is False
    await asyncio.to_thread(client.delete_filter_v2, made.id)
    assert await asyncio.to_thread(client.filters_v2) == []

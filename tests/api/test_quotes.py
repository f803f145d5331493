"""Quote posts in the client API, as Mastodon 4.5 has them: `quoted_status_id` and
`quote_approval_policy` on POST /api/v1/statuses, the Status entity's `quote` (the quoted
status once accepted, a quote inside it shallow) and `quote_approval` (who may quote it and
what that means for the viewer); refusals as Mastodon answers them. Every answer is checked
against Mastodon's OpenAPI schema by the `api` fixture."""

from __future__ import annotations

from tests.api.harness import Api


async def _image_post(api: Api, token: str, username: str, **fields: object) -> dict[str, object]:
    account_id = api.users[username].account_id
    media = [str(i) for i in await api.instance.make_images(account_id, "a lighthouse")]
    answer = await api.post("/api/v1/statuses", token=token,
                            data={"status": "the lighthouse", "media_ids[]": media, **fields})
    assert answer.status == 200, answer.body
    body: dict[str, object] = answer.body
    return body


async def test_quote_a_status(api: Api) -> None:
    alice = await api.user("alice")
    bob = await api.user("bob")
    original = await _image_post(api, alice, "alice")
    assert original["quote"] is None
    assert original["quote_approval"] == {"automatic": ["public"], "manual": [],
                                          "current_user": "automatic"}
    seen = await api.get(f"/api/v1/statuses/{original['id']}", token=bob)
    assert seen.body["quote_approval"]["current_user"] == "automatic"

    # A text quote (no image needed), approved at once: the quoted status inside.
    made = await api.post("/api/v1/statuses", token=bob, data={
        "status": "what a light", "quoted_status_id": original["id"]})
    assert made.status == 200, made.body
    quote = made.body["quote"]
    assert quote["state"] == "accepted"
    assert quote["quoted_status"]["id"] == original["id"]
    assert quote["quoted_status"]["quote"] is None
    assert "quote-inline" in made.body["content"]  # the fallback for other software
    told = await api.get("/api/v1/notifications", token=alice)
    assert [(n["type"], n["status"]["id"]) for n in told.body] == [("quote", made.body["id"])]

    # Quoting the quote: the inner quote is shallow (its id), as Mastodon nests them.
    again = await api.post("/api/v1/statuses", token=alice, data={
        "status": "quoted back", "quoted_status_id": made.body["id"]})
    assert again.status == 200, again.body
    inner = again.body["quote"]["quoted_status"]["quote"]
    assert inner == {"state": "accepted", "quoted_status_id": original["id"]}

    # Deleted: the quote says so.
    gone = await api.delete(f"/api/v1/statuses/{original['id']}", token=alice)
    assert gone.status == 200
    shown = await api.get(f"/api/v1/statuses/{made.body['id']}", token=bob)
    assert shown.body["quote"] == {"state": "deleted", "quoted_status": None}


async def test_quote_refusals(api: Api) -> None:
    alice = await api.user("alice")
    bob = await api.user("bob")
    closed = await _image_post(api, alice, "alice", quote_approval_policy="nobody")
    assert closed["quote_approval"]["automatic"] == []
    seen = await api.get(f"/api/v1/statuses/{closed['id']}", token=bob)
    assert seen.body["quote_approval"]["current_user"] == "denied"
    refused = await api.post("/api/v1/statuses", token=bob, data={
        "status": "hm", "quoted_status_id": closed["id"]})
    assert refused.status == 403, refused.body
    assert "does not allow quotes" in refused.body["error"]

    private = await _image_post(api, alice, "alice", visibility="private")
    assert private["quote_approval"]["automatic"] == []
    missing = await api.post("/api/v1/statuses", token=bob, data={
        "status": "hm", "quoted_status_id": private["id"]})
    assert missing.status == 404  # bob cannot see it: it does not exist for him
    for bad in ("nope", "123456789"):
        answer = await api.post("/api/v1/statuses", token=bob, data={
            "status": "hm", "quoted_status_id": bad})
        assert answer.status == 404 and "does not appear to exist" in answer.body["error"]
    wrong = await api.post("/api/v1/statuses", token=alice, data={
        "status": "x", "quoted_status_id": closed["id"], "quote_approval_policy": "friends"})
    assert wrong.status == 422

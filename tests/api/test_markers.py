"""Read markers through the client API: home and notifications, set from JSON or a form,
moved either way as the client says, the notifications one being the unread count's (and the
web app's badge's); Mastodon.py's markers_set and markers_get."""

from __future__ import annotations

import asyncio

from aiohttp import FormData

from tests.api.harness import Api
from tests.api.social_helpers import favourite, post


async def test_markers_round_trip(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    query = {"timeline[]": ["home", "notifications"]}
    assert (await api.get("/api/v1/markers", token=token, params=query)).body == {}

    home = await api.post("/api/v1/markers", token=token,
                          json={"home": {"last_read_id": "117741050254212893"}})
    assert home.status == 200, home.body
    assert list(home.body) == ["home"]
    assert home.body["home"]["last_read_id"] == "117741050254212893"
    assert isinstance(home.body["home"]["version"], int)
    form = FormData([("notifications[last_read_id]", "117741050254200000")])
    both = await api.post("/api/v1/markers", token=token, data=form)
    assert list(both.body) == ["notifications"]
    got = await api.get("/api/v1/markers", token=token, params=query)
    assert got.body == {"home": home.body["home"], "notifications": both.body["notifications"]}
    only_home = await api.get("/api/v1/markers", token=token, params={"timeline[]": "home"})
    assert list(only_home.body) == ["home"]

    # A client may move its marker back; the version changes with it.
    await asyncio.sleep(0.01)
    back = await api.post("/api/v1/markers", token=token,
                          json={"home": {"last_read_id": "117741050254000000"}})
    assert back.body["home"]["last_read_id"] == "117741050254000000"
    assert back.body["home"]["version"] > home.body["home"]["version"]

    # Unknown timelines are ignored; a bad id is refused; scopes are read/write:statuses.
    assert (await api.post("/api/v1/markers", token=token,
                           json={"elsewhere": {"last_read_id": "1"}})).body == {}
    assert (await api.post("/api/v1/markers", token=token,
                           json={"home": {"last_read_id": "soon"}})).status == 422
    reader = await api.user("alice", scopes="read")
    assert (await api.post("/api/v1/markers", token=reader,
                           json={"home": {"last_read_id": "1"}})).status == 403
    assert (await api.get("/api/v1/markers", token=reader, params=query)).status == 200


async def test_the_notifications_marker_counts_unread(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    await api.user("bob")
    status_id = await post(api, "alice", "a kite")
    await favourite(api, "bob", status_id)
    listed = await api.get("/api/v1/notifications", token=token)
    assert (await api.get("/api/v1/notifications/unread_count", token=token)).body \
        == {"count": 1}
    await api.post("/api/v1/markers", token=token,
                   json={"notifications": {"last_read_id": listed.body[0]["id"]}})
    assert (await api.get("/api/v1/notifications/unread_count", token=token)).body \
        == {"count": 0}
    assert (await api.get("/api/v2/notifications/unread_count", token=token)).body \
        == {"count": 0}


async def test_mastodon_py_markers(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    client = api.mastodon(token)
    made = await asyncio.to_thread(client.markers_set, ["home", "notifications"],
                                   [117741050254212893, 117741050254200000])
    assert str(made["home"].last_read_id) == "117741050254212893"
    got = await asyncio.to_thread(client.markers_get, ["home", "notifications"])
    assert str(got["notifications"].last_read_id) == "117741050254200000"
    assert got["home"].version == made["home"].version

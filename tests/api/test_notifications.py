"""Notifications through the client API: v1 (types, exclude_types, account_id, Link pages,
one, dismiss, clear, the unread count), our types on Mastodon's (reply and remix), "status"
notifications for subscribers, filters; grouped v2 (favourites of one status in one group,
follows together, grouped_types, a group by key, its accounts, dismissing it); Mastodon.py."""

from __future__ import annotations

import asyncio

from server import appkeys
from server.services.social import filters, notifications
from tests.api.harness import Api
from tests.api.social_helpers import boost, favourite, follow, post
from tests.api.test_timelines import ids, links


async def _busy_alice(api: Api) -> tuple[str, int]:
    """alice posts; bob and carol favourite it, bob follows her, carol replies, dave boosts.
    Her token and the post's id."""
    token = await api.user("alice", scopes="read write")
    for name in ("bob", "carol", "dave"):
        await api.user(name)
    status_id = await post(api, "alice", "a lantern")
    await favourite(api, "bob", status_id)
    await favourite(api, "carol", status_id)
    await follow(api, "bob", "alice")
    await post(api, "carol", "@alice lovely", in_reply_to=status_id, text_only=True)
    await boost(api, "dave", status_id)
    return token, status_id


def kinds(body: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(n["type"], n["account"]["acct"]) for n in body]  # type: ignore[index]


async def test_v1_types_senders_pages_dismiss_and_clear(api: Api) -> None:
    token, status_id = await _busy_alice(api)
    listed = await api.get("/api/v1/notifications", token=token)
    assert listed.status == 200, listed.body
    assert kinds(listed.body) == [("reblog", "dave"), ("mention", "carol"), ("follow", "bob"),
                                  ("favourite", "carol"), ("favourite", "bob")]
    reblog, reply, followed, fav_carol, fav_bob = listed.body
    # A reply is a mention in Mastodon's words (one notification, though it also mentions
    # her); ours stays under dreamfeed.
    assert reply["dreamfeed"] == {"type": "reply"}
    assert reply["status"]["in_reply_to_id"] == str(status_id)
    # Favourites and boosts carry her status; favourites of one status share a group key.
    assert reblog["status"]["id"] == str(status_id)
    assert fav_bob["status"]["id"] == str(status_id) and "status" not in followed
    assert fav_bob["group_key"] == fav_carol["group_key"] == \
        notifications.group_key("favourite", status_id, int(fav_bob["id"]))
    assert reply["group_key"] == f"ungrouped-{reply['id']}"

    only_favs = await api.get("/api/v1/notifications", token=token,
                              params={"types[]": ["favourite"]})
    assert kinds(only_favs.body) == [("favourite", "carol"), ("favourite", "bob")]
    mentions = await api.get("/api/v1/notifications", token=token,
                             params={"types[]": ["mention"]})
    assert kinds(mentions.body) == [("mention", "carol")]
    no_favs = await api.get("/api/v1/notifications", token=token,
                            params={"exclude_types[]": ["favourite", "reblog"]})
    assert kinds(no_favs.body) == [("mention", "carol"), ("follow", "bob")]
    from_bob = await api.get("/api/v1/notifications", token=token,
                             params={"account_id": api.account_id("bob")})
    assert kinds(from_bob.body) == [("follow", "bob"), ("favourite", "bob")]

    first = await api.get("/api/v1/notifications", token=token,
                          params={"limit": 2, "exclude_types[]": "reblog"})
    assert ids(first) == [reply["id"], followed["id"]]
    assert "exclude_types" in links(first)["next"]
    second = await api.get(links(first)["next"], token=token)
    assert ids(second) == [fav_carol["id"], fav_bob["id"]]
    assert ids(await api.get(links(second)["prev"], token=token)) == ids(first)

    one = await api.get(f"/api/v1/notifications/{followed['id']}", token=token)
    assert one.body == followed
    dismissed = await api.post(f"/api/v1/notifications/{followed['id']}/dismiss", token=token)
    assert dismissed.status == 200 and dismissed.body == {}
    assert (await api.get(f"/api/v1/notifications/{followed['id']}", token=token)
            ).status == 404
    # Another's notification is not there.
    other = await api.user("bob", scopes="read write")
    assert (await api.get(f"/api/v1/notifications/{reply['id']}", token=other)).status == 404
    assert (await api.post(f"/api/v1/notifications/{reply['id']}/dismiss", token=other)
            ).status == 404

    count = await api.get("/api/v1/notifications/unread_count", token=token)
    assert count.body == {"count": 4}
    reader = await api.user("alice", scopes="read")
    assert (await api.post("/api/v1/notifications/clear", token=reader)).status == 403
    cleared = await api.post("/api/v1/notifications/clear", token=token)
    assert cleared.status == 200
    assert (await api.get("/api/v1/notifications", token=token)).body == []
    assert (await api.get("/api/v1/notifications/unread_count", token=token)).body \
        == {"count": 0}


async def test_remix_status_and_filters(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    await api.user("bob")
    mine = await post(api, "alice", "a spooky lantern")
    remix = await post(api, "bob", "my take on it")
    database = api.instance.app[appkeys.DATABASE]
    alice_id, bob_id = int(api.account_id("alice")), int(api.account_id("bob"))
    # A remix from another Dreamfeed may be heard of first as a mention, then as a quote
    # (its QuoteRequest), and only then as a remix: whatever the order, one notification,
    # the remix, in both the list and the grouped list.
    async with database.writer.begin() as session:
        assert await notifications.notify(session, alice_id, bob_id, notifications.MENTION,
                                          remix)
        assert await notifications.notify(session, alice_id, bob_id, notifications.QUOTE,
                                          remix)
        assert await notifications.notify(session, alice_id, bob_id, notifications.REMIX,
                                          remix)
        assert not await notifications.notify(session, alice_id, bob_id,
                                              notifications.MENTION, remix)
    listed = await api.get("/api/v1/notifications", token=token)
    [remixed] = listed.body
    assert remixed["type"] == "quote" and remixed["dreamfeed"] == {"type": "remix"}
    assert remixed["status"]["id"] == str(remix)
    grouped = await api.get("/api/v2/notifications", token=token)
    assert [g["type"] for g in grouped.body["notification_groups"]] == ["quote"]

    # bob posts; alice, subscribed to him, hears of it, but not of his replies to others.
    await follow(api, "alice", "bob", notify=True)
    by_bob = await post(api, "bob", "a new picture")
    await post(api, "bob", "a reply", in_reply_to=mine, text_only=True)
    news = await api.get("/api/v1/notifications", token=token, params={"types[]": "status"})
    assert [(n["type"], n["status"]["id"]) for n in news.body] == [("status", str(by_bob))]

    # Her filters: a favourite of a "spooky" status is shown behind the warning.
    await follow(api, "bob", "alice")
    await favourite(api, "bob", mine)
    services = api.instance.services
    await filters.add_filter(services, "alice", "spooky", contexts=["notifications"],
                             action="warn")
    faved = await api.get("/api/v1/notifications", token=token,
                          params={"types[]": "favourite"})
    assert faved.body[0]["status"]["filtered"][0]["keyword_matches"] == ["spooky"]
    await filters.add_filter(services, "alice", "lantern", contexts=["notifications"],
                             action="hide")
    assert (await api.get("/api/v1/notifications", token=token,
                          params={"types[]": "favourite"})).body == []


async def test_v2_groups_favourites_of_one_status_and_follows(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    fans = ["bob", "carol", "dave", "erin"]
    for name in fans:
        await api.user(name)
    liked = await post(api, "alice", "a comet")
    other = await post(api, "alice", "a moon")
    for name in fans[:3]:
        await favourite(api, name, liked)
    await favourite(api, "erin", other)
    await follow(api, "bob", "alice")
    await follow(api, "carol", "alice")
    await post(api, "dave", "@alice look", in_reply_to=liked, text_only=True)

    grouped = await api.get("/api/v2/notifications", token=token)
    assert grouped.status == 200, grouped.body
    groups = grouped.body["notification_groups"]
    assert [(g["type"], g["notifications_count"]) for g in groups] == [
        ("mention", 1), ("follow", 2), ("favourite", 1), ("favourite", 3)]
    comet = groups[3]
    assert comet["status_id"] == str(liked)
    assert comet["sample_account_ids"] == [api.account_id(n) for n in ("dave", "carol", "bob")]
    assert comet["page_min_id"] < comet["page_max_id"]
    assert str(comet["most_recent_notification_id"]) == comet["page_max_id"]
    assert comet["group_key"].startswith(f"favourite-{liked}-")
    assert sorted(a["acct"] for a in grouped.body["accounts"]) == sorted(fans)
    assert sorted(s["id"] for s in grouped.body["statuses"]) == sorted(
        [str(liked), str(other), groups[0]["status_id"]])
    assert "partial_accounts" not in grouped.body

    # Only favourites grouped: the follows come one by one.
    some = await api.get("/api/v2/notifications", token=token,
                         params={"grouped_types[]": "favourite"})
    assert [g["type"] for g in some.body["notification_groups"]] == [
        "mention", "follow", "follow", "favourite", "favourite"]
    assert some.body["notification_groups"][1]["group_key"].startswith("ungrouped-")

    # Pages of groups, with the Link header. As Mastodon's, the next page starts below the
    # last group's newest notification: the older follow comes again under the same key
    # (clients merge groups by key), counted up to the new page's top.
    first = await api.get("/api/v2/notifications", token=token, params={"limit": 2})
    assert [(g["type"], g["notifications_count"]) for g in first.body["notification_groups"]] \
        == [("mention", 1), ("follow", 2)]
    second = await api.get(links(first)["next"], token=token)
    assert [(g["type"], g["notifications_count"]) for g in second.body["notification_groups"]] \
        == [("follow", 1), ("favourite", 1)]
    assert second.body["notification_groups"][0]["group_key"] \
        == first.body["notification_groups"][1]["group_key"]
    third = await api.get(links(second)["next"], token=token)
    assert [(g["type"], g["notifications_count"]) for g in third.body["notification_groups"]] \
        == [("favourite", 3)]
    back = await api.get(links(third)["prev"], token=token)
    assert [g["type"] for g in back.body["notification_groups"]] == ["follow", "favourite"]

    partial = await api.get("/api/v2/notifications", token=token,
                            params={"expand_accounts": "partial_avatars"})
    shown_full = {a["id"] for a in partial.body["accounts"]}
    assert {a["id"] for a in partial.body["partial_accounts"]}.isdisjoint(shown_full)

    # One group by its key, its accounts, dismissing it.
    key = comet["group_key"]
    alone = await api.get(f"/api/v2/notifications/{key}", token=token)
    assert [g["notifications_count"] for g in alone.body["notification_groups"]] == [3]
    assert "page_min_id" not in alone.body["notification_groups"][0]
    senders = await api.get(f"/api/v2/notifications/{key}/accounts", token=token)
    assert [a["acct"] for a in senders.body] == ["dave", "carol", "bob"]
    unread = await api.get("/api/v2/notifications/unread_count", token=token)
    assert unread.body == {"count": 4}
    await api.post(f"/api/v2/notifications/{key}/dismiss", token=token)
    assert (await api.get(f"/api/v2/notifications/{key}", token=token)).status == 404
    assert (await api.get("/api/v2/notifications/favourite-1-5", token=token)).status == 404
    assert (await api.get("/api/v2/notifications/unread_count", token=token)).body \
        == {"count": 3}


async def test_mastodon_py_notifications(api: Api) -> None:
    token, status_id = await _busy_alice(api)
    client = api.mastodon(token)
    favs = await asyncio.to_thread(client.notifications, types=["favourite"])
    assert [n.account.acct for n in favs] == ["carol", "bob"]
    page = await asyncio.to_thread(client.notifications, limit=2)
    older = await asyncio.to_thread(client.fetch_next, page)
    assert older is not None
    assert [n.type for n in older] == ["follow", "favourite"]
    grouped = await asyncio.to_thread(client.grouped_notifications)
    assert [g.type for g in grouped.notification_groups] == [
        "reblog", "mention", "follow", "favourite"]
    assert grouped.notification_groups[3].notifications_count == 2
    key = grouped.notification_groups[3].group_key
    one = await asyncio.to_thread(client.grouped_notification, key)
    assert str(one.notification_groups[0].status_id) == str(status_id)
    await asyncio.to_thread(client.notifications_dismiss, page[0].id)
    remaining = await asyncio.to_thread(client.notifications)
    assert remaining is not None and remaining[0].type == "mention"
    await asyncio.to_thread(client.notifications_clear)
    assert await asyncio.to_thread(client.notifications) == []

"""Remote threads and what arrives out of order, against a fake Mastodon server with real
signatures: Delete before Create, boosts of posts we lack, parent chains fetched (bounded by
depth, safe from cycles), thread() for a post page, and Question/Article shown as text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from server.services.federation.fetch_posts import MAX_DEPTH
from server.services.reading.timelines import thread
from storage.models import Status
from tests.federation.fake_remote import AS_PUBLIC, FakeActor, FakeRemote
from tests.federation.harness import Instance
from tests.federation.interactions_helpers import (
    alice_follows,
    boosts,
    create,
    fresh,
    local_post,
    note,
    post,
    send,
)

NOTES = Path(__file__).parent.parent / "data" / "notes"


def chain(masto: FakeRemote, authors: list[FakeActor], length: int) -> list[dict[str, Any]]:
    """`length` notes served by the fake, each replying to the one before (root first)."""
    docs: list[dict[str, Any]] = []
    for i in range(length):
        extra = {"inReplyTo": docs[-1]["id"]} if docs else {}
        doc = note(authors[i % len(authors)], content=f"<p>step {i}</p>", **extra)
        masto.serve(doc)
        docs.append(doc)
    return docs


async def stored(a: Instance, docs: list[dict[str, Any]]) -> list[Status | None]:
    return [await post(a, doc["id"]) for doc in docs]


def payload(name: str, author: FakeActor, **fields: Any) -> dict[str, Any]:
    """The object of a recorded Create, moved onto the fake server under `author`."""
    doc = json.loads((NOTES / name).read_text())["object"]
    doc.update({"id": f"{author.id}/statuses/{name.split('.')[0]}",
                "attributedTo": author.id, "cc": [f"{author.id}/followers"], **fields})
    return dict(doc)


# --- Delete before Create --------------------------------------------------------------------


async def test_delete_before_create_keeps_the_post_out(a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    await alice_follows(a, masto, carol)
    doc = note(carol)
    row = await send(masto, carol, a, carol.activity("Delete", {"id": doc["id"],
                                                               "type": "Tombstone"}))
    assert row.error == "ignored: no such post (tombstone kept)"
    row = await send(masto, carol, a, create(carol, doc))
    assert (row.state, row.error) == ("ignored", "ignored: deleted before it arrived")
    assert await post(a, doc["id"]) is None
    # A Delete of an object on another origin leaves nothing behind.
    other = "http://elsewhere.test/users/x/statuses/1"
    row = await send(masto, carol, a, carol.activity("Delete", other))
    assert row.error == "ignored: no such post"


# --- Announce of a post we do not have -------------------------------------------------------


async def test_announce_by_followed_account_fetches_unknown_post(
        a: Instance, masto: FakeRemote) -> None:
    carol, dave = masto.add_actor("carol"), masto.add_actor("dave")
    await alice_follows(a, masto, carol)  # nobody here follows dave
    doc = note(dave, content="<p>a moon</p>")
    masto.serve(doc)
    announce = carol.activity("Announce", doc["id"], to=[AS_PUBLIC],
                              cc=[f"{carol.id}/followers"])
    row = await send(masto, carol, a, announce)
    assert (row.state, row.error) == ("applied", "boosted")
    fetched = await post(a, doc["id"])
    assert fetched is not None and fetched.content == "<p>a moon</p>"
    assert fetched.visibility == "public" and fetched.reblogs_count == 1
    [boost] = await boosts(a, fetched.id)
    assert boost.uri == announce["id"]
    assert len(masto.fetches_of(doc["id"])) == 1
    # Boosted again (a new Announce id): the post is not fetched or stored again.
    row = await send(masto, carol, a, carol.activity("Announce", doc["id"], to=[AS_PUBLIC]))
    assert row.error == "ignored: already boosted"
    assert len(masto.fetches_of(doc["id"])) == 1


async def test_announce_of_object_served_as_something_else_is_dropped(
        a: Instance, masto: FakeRemote) -> None:
    carol, dave = masto.add_actor("carol"), masto.add_actor("dave")
    await alice_follows(a, masto, carol)
    claimed = note(dave)
    impostor = note(dave)  # the origin answers the claimed id with another note
    masto.documents[urlsplit(claimed["id"]).path] = impostor
    row = await send(masto, carol, a, carol.activity("Announce", claimed["id"],
                                                     to=[AS_PUBLIC]))
    assert row.state == "ignored" and "serves something else" in str(row.error)
    assert await post(a, claimed["id"]) is None and await post(a, impostor["id"]) is None
    # A note on one origin claiming an author on another is refused as well.
    forged = note(dave, attributedTo="http://elsewhere.test/users/mallory")
    masto.serve(forged)
    row = await send(masto, carol, a, carol.activity("Announce", forged["id"], to=[AS_PUBLIC]))
    assert row.state == "ignored" and "another origin" in str(row.error)
    assert await post(a, forged["id"]) is None


# --- parent chains ---------------------------------------------------------------------------


async def test_reply_fetches_its_parent_chain(a: Instance, masto: FakeRemote) -> None:
    carol, dave, eve = (masto.add_actor(n) for n in ("carol", "dave", "eve"))
    await alice_follows(a, masto, carol)
    ancestors = chain(masto, [dave, eve], 3)
    reply = note(carol, inReplyTo=ancestors[-1]["id"])
    row = await send(masto, carol, a, create(carol, reply))
    assert row.error == "stored public post"

    root, middle, parent = await stored(a, ancestors)
    child = await post(a, reply["id"])
    assert root is not None and middle is not None and parent is not None and child is not None
    assert [s.in_reply_to_id for s in (root, middle, parent, child)] == \
        [None, root.id, middle.id, parent.id]
    assert child.in_reply_to_account_id == parent.account_id
    assert [s.replies_count for s in (root, middle, parent, child)] == [1, 1, 1, 0]
    assert all(len(masto.fetches_of(doc["id"])) == 1 for doc in ancestors)

    seen = await thread(a.services, child.id, None)
    assert [s.uri for s in seen.ancestors] == [d["id"] for d in ancestors]
    assert seen.descendants == []
    seen = await thread(a.services, root.id, None)
    assert seen.ancestors == []
    assert [s.uri for s in seen.descendants] == [middle.uri, parent.uri, child.uri]


async def test_parent_chain_stops_at_the_depth_limit(a: Instance, masto: FakeRemote) -> None:
    carol, dave = masto.add_actor("carol"), masto.add_actor("dave")
    await alice_follows(a, masto, carol)
    ancestors = chain(masto, [dave], 25)
    reply = note(carol, inReplyTo=ancestors[-1]["id"])
    await send(masto, carol, a, create(carol, reply))

    found = await stored(a, ancestors)
    assert MAX_DEPTH == 20
    assert [s is not None for s in found] == [False] * 5 + [True] * 20
    assert [len(masto.fetches_of(doc["id"])) for doc in ancestors] == [0] * 5 + [1] * 20
    oldest = found[5]
    assert oldest is not None and oldest.in_reply_to_id is None
    assert oldest.in_reply_to_uri == ancestors[4]["id"]


async def test_a_reply_cycle_ends(a: Instance, masto: FakeRemote) -> None:
    carol, dave = masto.add_actor("carol"), masto.add_actor("dave")
    await alice_follows(a, masto, carol)
    first, second, selfish = note(dave), note(dave), note(dave)
    first["inReplyTo"], second["inReplyTo"] = second["id"], first["id"]
    selfish["inReplyTo"] = selfish["id"]
    for doc in (first, second, selfish):
        masto.serve(doc)
    await send(masto, carol, a, create(carol, note(carol, inReplyTo=first["id"])))
    await send(masto, carol, a, create(carol, note(carol, inReplyTo=selfish["id"])))

    one, two, three = await stored(a, [first, second, selfish])
    assert one is not None and two is not None and three is not None
    assert (one.in_reply_to_id, two.in_reply_to_id) == (two.id, one.id)
    assert three.in_reply_to_id is None and three.replies_count == 1
    assert [len(masto.fetches_of(d["id"])) for d in (first, second, selfish)] == [1, 1, 1]
    # A page in the loop still ends.
    seen = await thread(a.services, one.id, None)
    assert [s.status_id for s in seen.ancestors] == [two.id]


async def test_thread_shows_only_what_the_viewer_may_see(
        a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    await alice_follows(a, masto, carol)
    mine = await local_post(a, "alice")
    public = note(carol, inReplyTo=mine.uri, content="<p>public reply</p>")
    direct = note(carol, to=[a.actor("alice")], cc=[], content="<p>just for alice</p>",
                  inReplyTo=public["id"],
                  tag=[{"type": "Mention", "href": a.actor("alice"), "name": "@alice"}])
    for doc in (public, direct):
        row = await send(masto, carol, a, create(carol, doc))
        assert str(row.error).startswith("stored"), row.error

    anonymous = await thread(a.services, mine.id, None)
    assert [s.uri for s in anonymous.descendants] == [public["id"]]
    as_alice = await thread(a.services, mine.id, "alice")
    assert [s.uri for s in as_alice.descendants] == [public["id"], direct["id"]]
    assert (await fresh(a, mine)).replies_count == 1
    hidden = await post(a, direct["id"])
    assert hidden is not None
    assert [s.uri for s in (await thread(a.services, hidden.id, "alice")).ancestors] == \
        [mine.uri, public["id"]]


# --- Question, Article -----------------------------------------------------------------------


async def test_question_and_article_are_stored_as_readable_text(
        a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    await alice_follows(a, masto, carol)
    question = payload("question_mastodon.json", carol)
    article = payload("article_plume.json", carol,
                      attributedTo=[carol.id, f"{masto.base}/~/Prompts/"],
                      url=f"{masto.base}/~/Prompts/night-swim/")
    for doc in (question, article):
        row = await send(masto, carol, a, create(carol, doc))
        assert row.error == "stored public post"

    poll = await post(a, question["id"])
    assert poll is not None
    assert poll.content == ("<p>Which sampler makes the best <b>moons</b>?</p><ol>"
                            "<li>Euler a (4 votes)</li>"
                            "<li>DPM++ 2M &lt;Karras&gt; (1 vote)</li>"
                            "<li>DDIM (2 votes)</li></ol>")
    text = await post(a, article["id"])
    assert text is not None
    link = article["url"]
    assert text.content == (
        "<p><strong>Night swim: prompting &lt;moons&gt; that glow</strong></p>"
        "<p>How I got the violet sea right</p>"
        f'<p><a href="{link}" rel="nofollow noopener noreferrer">{link}</a></p>')
    assert text.spoiler_text == "" and not text.sensitive  # a summary, not a warning

"""Our posts' `replies` collections as Mastodon serves them (issue 18: they had no items, so
GoToSocial warned "replies without collection page" and fetched no thread of ours): the Note
embeds a first page of its author's first replies, `/replies` pages through the author's
public and unlisted replies and then everyone else's (ours and remote ones stored here),
never a followers-only or direct one. Read over real HTTP by another instance, walking the
pages as GoToSocial does (replies -> first -> items, then next); the shapes are compared
with Mastodon's recorded ones (tests/data/replies/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from server import appkeys
from storage import accounts as account_queries
from storage.models import Status
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote
from tests.federation.harness import Instance
from tests.federation.interactions_helpers import create, fetch_as, local_post, note, send

REPLIES = Path(__file__).parent.parent / "data" / "replies"


def _mastodon(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((REPLIES / name).read_text())
    return doc


async def _reply(a: Instance, username: str, parent: Status, visibility: str = "public") -> str:
    """A local reply inserted as a row (as the posts service stores one)."""
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        account = await account_queries.local_account_by_username(session, username)
        assert account is not None
        row = Status(uri="", account_id=account.id, local=True, visibility=visibility,
                     content="<p>a reply</p>", in_reply_to_id=parent.id,
                     in_reply_to_uri=parent.uri, in_reply_to_account_id=parent.account_id)
        session.add(row)
        await session.flush()
        row.uri = f"{a.actor(username)}/statuses/{row.id}"
        return row.uri


async def _get(b: Instance, url: str) -> dict[str, Any]:
    status, doc = await fetch_as(b, "bob", url)
    assert status == 200, url
    return dict(doc)


async def _walk(b: Instance, replies: dict[str, Any]) -> list[str]:
    """GoToSocial's way through a replies collection: its first page (embedded or by id),
    each page's items, then `next` until there is none."""
    assert isinstance(replies, dict) and replies.get("first"), "replies without collection page"
    page = replies["first"]
    if isinstance(page, str):
        page = await _get(b, page)
    seen: list[str] = []
    while True:
        assert page["type"] == "CollectionPage" and page["partOf"] == replies["id"]
        seen += page["items"]
        if not page.get("next"):
            return seen
        page = await _get(b, page["next"])
        assert page["id"]


async def test_a_thread_of_ours_read_page_by_page(start: StartInstance,
                                                  masto: FakeRemote) -> None:
    a = await start("a")
    b = await start("b")
    await a.add_user("alice")
    await a.add_user("carol")
    await b.add_user("bob")
    root = await local_post(a, "alice")
    own = [await _reply(a, "alice", root) for _ in range(62)]
    own.append(await _reply(a, "alice", root, "unlisted"))
    hidden = [await _reply(a, "alice", root, "private"), await _reply(a, "alice", root, "direct"),
              await _reply(a, "carol", root, "private")]
    others = [await _reply(a, "carol", root)]
    # Remote replies stored here: a public one listed, a followers-only one not.
    dave = masto.add_actor("dave")
    public_reply = note(dave, inReplyTo=root.uri, cc=[f"{dave.id}/followers", a.actor("alice")])
    private_reply = note(dave, inReplyTo=root.uri, to=[f"{dave.id}/followers"],
                         cc=[a.actor("alice")])
    for doc in (public_reply, private_reply):
        await send(masto, dave, a, create(dave, doc), f"{a.actor('alice')}/inbox")
    others.append(public_reply["id"])
    hidden.append(private_reply["id"])

    # The Note embeds its first page: the author's first 5 replies, leading on from the 5th.
    the_note = await _get(b, root.uri)
    replies = the_note["replies"]
    mastodons = _mastodon("mastodon_note.json")["replies"]
    assert replies["id"] == f"{root.uri}/replies" and replies["type"] == mastodons["type"]
    assert set(mastodons["first"]) <= set(replies["first"])
    assert replies["first"]["type"] == "CollectionPage" and "id" not in replies["first"]
    assert replies["first"]["items"] == own[:5]
    assert replies["first"]["next"].startswith(f"{root.uri}/replies?min_id=")

    listed = await _walk(b, replies)
    # The author's replies first, oldest first, then everyone else's (by id: a remote
    # reply's id comes from its published time).
    assert listed[:63] == own and sorted(listed[63:]) == sorted(others)
    assert len(listed) == len(set(listed)) == 65
    assert not set(hidden) & set(listed)

    # /replies answers the collection with its first page (60 of the author's) embedded.
    collection = await _get(b, f"{root.uri}/replies")
    assert collection["type"] == "Collection" and collection["id"] == f"{root.uri}/replies"
    first = collection["first"]
    assert first["id"] == f"{root.uri}/replies?page=true"
    assert first["items"] == own[:60]
    assert await _walk(b, collection) == listed
    # The last page of everyone else's has no next; its shape is Mastodon's.
    last = await _get(b, f"{root.uri}/replies?only_other_accounts=true&page=true")
    assert set(_mastodon("mastodon_replies_page.json")) - {"_source"} <= set(last) | {"next"}
    assert sorted(last["items"]) == sorted(others) and "next" not in last


async def test_replies_of_a_post_without_any(start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    await a.add_user("alice")
    await b.add_user("bob")
    root = await local_post(a, "alice")
    replies = (await _get(b, root.uri))["replies"]
    # No replies of its own: the first page is empty and leads to everyone else's.
    assert replies["first"]["items"] == []
    assert replies["first"]["next"] == \
        f"{root.uri}/replies?only_other_accounts=true&page=true"
    assert await _walk(b, replies) == []
    # A followers-only post's replies are as hidden as the post.
    private = await local_post(a, "alice", visibility="private")
    assert (await fetch_as(b, "bob", f"{private.uri}/replies"))[0] == 404
    assert (await fetch_as(b, "bob", f"{root.uri}/replies?page=true&min_id=x"))[0] == 400

"""Shared steps for the tests of what comes back to an instance: local posts to interact
with, remote notes to send, and reading back what was stored."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from server import appkeys
from server.services.context import SigningKey
from server.services.federation.outbound.signing import signer
from server.services.social import follows
from server.services.social.notifications import list_notifications
from storage import accounts as account_queries
from storage import inbox as inbox_store
from storage import remote_media as remote_media_queries
from storage import statuses as status_queries
from storage.models import (
    Favourite,
    InboxActivity,
    Mention,
    RemoteMedia,
    Status,
    StatusTag,
    Tag,
)
from storage.pagination import Page
from tests.federation.fake_remote import AS_PUBLIC, FakeActor, FakeRemote
from tests.federation.harness import Instance, settle


async def local_post(a: Instance, username: str, visibility: str = "public") -> Status:
    """A local post inserted as a row (ids and URLs as the posts service makes them)."""
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        account = await account_queries.local_account_by_username(session, username)
        assert account is not None
        status = Status(uri="", account_id=account.id, local=True, visibility=visibility,
                        content="<p>a local post</p>", can_remix=True)
        session.add(status)
        await session.flush()
        status.uri = f"{a.actor(username)}/statuses/{status.id}"
        status.url = f"{a.base}/@{username}/{status.id}"
    return status


def note(author: FakeActor, *, to: list[str] | None = None, cc: list[str] | None = None,
         **fields: Any) -> dict[str, Any]:
    """A Mastodon-shaped Note by `author`, public unless told otherwise."""
    doc: dict[str, Any] = {
        "id": f"{author.id}/statuses/{uuid.uuid4().int >> 64}",
        "type": "Note",
        "attributedTo": author.id,
        "content": "<p>hello</p>",
        "published": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "url": f"{author.base}/@{author.username}/1",
        "to": [AS_PUBLIC] if to is None else to,
        "cc": [f"{author.id}/followers"] if cc is None else cc,
        "sensitive": False,
    }
    doc.update(fields)
    return doc


def create(author: FakeActor, obj: dict[str, Any]) -> dict[str, Any]:
    return author.activity("Create", obj, to=obj.get("to", []), cc=obj.get("cc", []))


async def send(fake: FakeRemote, actor: FakeActor, a: Instance, activity: dict[str, Any],
               inbox: str | None = None) -> InboxActivity:
    """Deliver signed to `inbox` (default: the shared inbox), run the queue, and return the
    stored inbox row (its state and outcome)."""
    reply = await fake.deliver(actor, inbox or f"{a.base}/inbox", activity)
    assert reply.status == 202, reply.text
    await settle([a])
    async with a.app[appkeys.DATABASE].reader() as session:
        row = await inbox_store.by_activity_id(session, str(activity["id"]))
    assert row is not None
    return row


async def alice_follows(a: Instance, fake: FakeRemote, actor: FakeActor) -> None:
    """alice follows `actor` on the fake server, which accepts."""
    await follows.follow(a.services, "alice", actor.handle)
    await settle([a])
    [follow] = [r.json() for r in fake.deliveries("Follow") if r.json()["object"] == actor.id]
    await send(fake, actor, a, actor.activity("Accept", follow), f"{a.actor('alice')}/inbox")
    assert (await follows.relationships(a.services, "alice")).following == [actor.handle]


async def post(a: Instance, uri: str) -> Status | None:
    async with a.app[appkeys.DATABASE].reader() as session:
        return await status_queries.by_uri(session, uri)


async def fresh(a: Instance, status: Status) -> Status:
    found = await post(a, status.uri)
    assert found is not None
    return found


async def media(a: Instance, status_id: int) -> list[RemoteMedia]:
    async with a.app[appkeys.DATABASE].reader() as session:
        return await remote_media_queries.media_of_status(session, status_id)


async def tags_of(a: Instance, status_id: int) -> list[str]:
    async with a.app[appkeys.DATABASE].reader() as session:
        result = await session.execute(select(Tag.name).join(
            StatusTag, StatusTag.tag_id == Tag.id).where(StatusTag.status_id == status_id))
        return sorted(result.scalars().all())


async def mentioned_ids(a: Instance, status_id: int) -> list[int]:
    async with a.app[appkeys.DATABASE].reader() as session:
        result = await session.execute(select(Mention.account_id).where(
            Mention.status_id == status_id))
        return list(result.scalars().all())


async def favourites(a: Instance, status_id: int) -> list[Favourite]:
    async with a.app[appkeys.DATABASE].reader() as session:
        result = await session.execute(select(Favourite).where(
            Favourite.status_id == status_id))
        return list(result.scalars().all())


async def boosts(a: Instance, status_id: int) -> list[Status]:
    async with a.app[appkeys.DATABASE].reader() as session:
        result = await session.execute(select(Status).where(
            Status.reblog_of_id == status_id, Status.deleted_at.is_(None)))
        return list(result.scalars().all())


async def notices(a: Instance, username: str = "alice") -> list[tuple[str, str, str | None]]:
    """(type, from handle, post uri) of a user's notifications, newest first."""
    views = await list_notifications(a.services, username, Page(limit=40))
    return [(v.type, v.from_handle, v.status_uri) for v in views]


async def fetch_as(b: Instance, username: str | None, url: str) -> tuple[int, Any]:
    """GET `url` as ActivityPub from instance b, signed by its local `username` (None:
    unsigned); the status and, on 200, the JSON body."""
    sign = None
    if username is not None:
        async with b.app[appkeys.DATABASE].reader() as session:
            account = await account_queries.local_account_by_username(session, username)
            assert account is not None
            key = await account_queries.signing_key(session, account.id)
        assert key is not None and key.private_key_pem is not None
        sign = signer(SigningKey(key.key_id, key.private_key_pem))
    response = await b.services.http.get(
        url, headers={"Accept": "application/activity+json"}, sign=sign)
    return response.status, response.json() if response.status == 200 else None


async def received_in_inbox(a: Instance, remote: FakeRemote,
                            sent: list[tuple[FakeActor, dict[str, Any]]]) -> list[int]:
    """Deliver each to alice's inbox (stored, not applied yet); their inbox rows' ids, in
    the order sent."""
    for actor, activity in sent:
        reply = await remote.deliver(actor, f"{a.actor('alice')}/inbox", activity)
        assert reply.status == 202, reply.text
    async with a.app[appkeys.DATABASE].reader() as session:
        ids = {row.activity_id: row.id for row in (await session.execute(
            select(InboxActivity).where(InboxActivity.state == "received"))).scalars()}
    return [ids[activity["id"]] for _, activity in sent]

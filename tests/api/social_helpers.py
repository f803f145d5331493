"""What the timeline, list and notification tests set up through the real services: local
statuses with generated images, follows (with their boost and notify options), boosts,
favourites, and remote accounts and statuses inserted as rows where federation is not the
point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update

from server import appkeys
from server.services.social import follows
from server.services.statuses import boosts, favourites, posts
from storage.ids import new_id
from storage.models import Account, Follow, RemoteMedia, Status, StatusTag, Tag
from tests.api.harness import Api


async def post(api: Api, username: str, caption: str, *, visibility: str = "public",
               in_reply_to: int | None = None, text_only: bool = False) -> int:
    """A status by local user `username` (made with api.user) with one generated image, or
    a text reply; its id."""
    media: list[int] = []
    if not text_only:
        media = await api.instance.make_images(int(api.account_id(username)), caption[:60])
    made = await posts.create_status(api.instance.services, username, posts.NewStatus(
        media_ids=media, caption=caption, visibility=visibility,
        in_reply_to=str(in_reply_to) if in_reply_to is not None else None))
    return made.id


async def follow(api: Api, username: str, target: str, *, show_reblogs: bool = True,
                 notify: bool = False) -> None:
    """Local `username` follows local `target` (accepted: neither is locked)."""
    await follows.follow(api.instance.services, username, f"{target}@{api.instance.domain}")
    async with api.instance.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(Follow).where(
            Follow.account_id == int(api.account_id(username)),
            Follow.target_account_id == int(api.account_id(target)))
            .values(show_reblogs=show_reblogs, notify=notify))


async def boost(api: Api, username: str, status_id: int) -> int:
    """`username` boosts the status; the boost's own id (its timeline entry)."""
    await boosts.boost(api.instance.services, username, str(status_id))
    async with api.instance.app[appkeys.DATABASE].reader() as session:
        row = (await session.execute(select(Status.id).where(
            Status.reblog_of_id == status_id,
            Status.account_id == int(api.account_id(username))))).scalar_one()
    return int(row)


async def favourite(api: Api, username: str, status_id: int) -> None:
    await favourites.favourite(api.instance.services, username, str(status_id))


class Remote:
    """A remote account and its statuses, as rows (federation is tested elsewhere)."""

    def __init__(self, api: Api, username: str, domain: str = "remote.test") -> None:
        self.api = api
        self.username = username
        self.domain = domain
        self.id = 0

    async def create(self) -> Remote:
        self.id = await self._add(Account(
            username=self.username, domain=self.domain,
            uri=f"https://{self.domain}/users/{self.username}",
            url=f"https://{self.domain}/@{self.username}",
            inbox_url=f"https://{self.domain}/users/{self.username}/inbox"))
        return self

    async def status(self, text: str, *, tags: Sequence[str] = (), image: bool = False) -> int:
        status_id = new_id()
        uri = f"https://{self.domain}/users/{self.username}/statuses/{status_id}"
        await self._add(Status(id=status_id, uri=uri, url=uri, account_id=self.id,
                               local=False, visibility="public", content=f"<p>{text}</p>"))
        for name in tags:
            await self._tag(status_id, name)
        if image:
            await self._add(RemoteMedia(status_id=status_id, position=0,
                                        url=f"https://{self.domain}/media/{status_id}.png",
                                        media_type="image/png", description=""))
        return status_id

    async def _tag(self, status_id: int, name: str) -> None:
        async with self.api.instance.app[appkeys.DATABASE].writer.begin() as session:
            tag_id = (await session.execute(select(Tag.id).where(Tag.name == name.lower()))
                      ).scalar_one_or_none()
            if tag_id is None:
                tag = Tag(name=name.lower())
                session.add(tag)
                await session.flush()
                tag_id = tag.id
            session.add(StatusTag(status_id=status_id, tag_id=tag_id))

    async def _add(self, row: Any) -> int:
        async with self.api.instance.app[appkeys.DATABASE].writer.begin() as session:
            session.add(row)
            await session.flush()
            return int(row.id)


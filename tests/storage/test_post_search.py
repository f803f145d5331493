"""The posts' search index (storage/post_search.py) follows every write by its triggers, on
SQLite (FTS5) and PostgreSQL (tsvector): a post written, edited, deleted, its prompt
published or taken back, its images' alt text changed; and a search finds only what the
viewer may see."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import post_search
from storage.database import make_sessionmaker
from storage.ids import new_id
from storage.models import (
    Account,
    Block,
    Follow,
    MediaAttachment,
    Mute,
    RemoteMedia,
    Status,
)
from storage.pagination import Page
from storage.types import utcnow


def _account(name: str, domain: str | None = None, **extra: object) -> Account:
    host = domain or "home.test"
    return Account(id=new_id(), username=name, domain=domain, uri=f"https://{host}/u/{name}",
                   inbox_url=f"https://{host}/u/{name}/inbox", fields=[], **extra)


def _status(author: Account, **extra: object) -> Status:
    status_id = new_id()
    return Status(id=status_id, uri=f"https://home.test/s/{status_id}", account_id=author.id,
                  local=author.domain is None, **extra)


def _image(author: Account, status_id: int | None, description: str) -> MediaAttachment:
    return MediaAttachment(
        id=new_id(), account_id=author.id, status_id=status_id, sha256="0" * 64,
        original_key="o", original_type="image/png", original_size=1, width=1, height=1,
        jpeg_key="j", jpeg_size=1, webp_key="w", webp_size=1, display_width=1,
        display_height=1, thumb_key="t", thumb_size=1, thumb_width=1, thumb_height=1,
        blurhash="L", description=description, generator="test",
        digital_source_type="trainedAlgorithmicMedia")


async def _found(sessions: async_sessionmaker[AsyncSession], text: str,
                 viewer: Account | None = None, **kwargs: object) -> list[int]:
    async with sessions() as session:
        return await post_search.search(session, text, viewer.id if viewer else None,
                                        Page(limit=40), **kwargs)  # type: ignore[arg-type]


async def _add(sessions: async_sessionmaker[AsyncSession], rows: Sequence[object]) -> None:
    async with sessions.begin() as session:
        session.add_all(rows)


async def test_the_index_follows_writes_edits_and_deletions(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    ana = _account("ana")
    post = _status(ana, caption="A lighthouse at dusk", content="<p>A lighthouse at dusk</p>")
    await _add(sessions, [ana, post])
    assert await _found(sessions, "lighthouse") == [post.id]
    assert await _found(sessions, "LIGHTHO") == [post.id]  # the last word as a prefix
    assert await _found(sessions, "lighthouse dawn") == []  # every word is needed

    # Alt text: an image attached after the post (as the composer does), then edited.
    image = _image(ana, None, "Waves breaking on granite rocks")
    await _add(sessions, [image])
    assert await _found(sessions, "granite") == []  # not attached yet
    async with sessions.begin() as session:
        await session.execute(update(MediaAttachment).where(MediaAttachment.id == image.id)
                              .values(status_id=post.id))
    assert await _found(sessions, "granite") == [post.id]
    async with sessions.begin() as session:
        await session.execute(update(MediaAttachment).where(MediaAttachment.id == image.id)
                              .values(description="Waves on basalt"))
    assert await _found(sessions, "granite") == []
    assert await _found(sessions, "basalt") == [post.id]

    # The caption edited.
    async with sessions.begin() as session:
        row = await session.get(Status, post.id)
        assert row is not None
        row.caption = "A windmill at dusk"
    assert await _found(sessions, "lighthouse") == []
    assert await _found(sessions, "windmill") == [post.id]

    # The prompt is searchable only while published.
    assert await _found(sessions, "cinematic") == []
    async with sessions.begin() as session:
        await session.execute(update(Status).where(Status.id == post.id)
                              .values(prompt="cinematic seascape, volumetric light"))
    assert await _found(sessions, "volumetric") == [post.id]
    async with sessions.begin() as session:
        await session.execute(update(Status).where(Status.id == post.id).values(prompt=None))
    assert await _found(sessions, "volumetric") == []

    # Counters change often and leave the index alone; a deletion takes the post out.
    async with sessions.begin() as session:
        await session.execute(update(Status).where(Status.id == post.id)
                              .values(favourites_count=3))
        await session.execute(delete(MediaAttachment).where(MediaAttachment.id == image.id))
    assert await _found(sessions, "basalt") == []
    assert await _found(sessions, "windmill") == [post.id]
    async with sessions.begin() as session:
        await session.execute(update(Status).where(Status.id == post.id)
                              .values(deleted_at=utcnow()))
    assert await _found(sessions, "windmill") == []
    async with sessions.begin() as session:
        await session.execute(delete(Status).where(Status.id == post.id))


async def test_remote_posts_are_searched_by_their_words_not_their_markup(
        engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    bo = _account("bo", "far.test", discoverable=True)
    html = ('<p>Caf&eacute; &amp; <a href="https://far.test/tags/neon" class="mention '
            'hashtag" rel="nofollow noopener noreferrer">#<span>neon</span></a> nights</p>')
    post = _status(bo, content=html, spoiler_text="bright lights")
    await _add(sessions, [bo, post])
    await _add(sessions, [RemoteMedia(status_id=post.id, url="https://far.test/1.png",
                                      description="A rainy street")])
    assert await _found(sessions, "neon nights") == [post.id]
    assert await _found(sessions, "rainy") == [post.id]
    assert await _found(sessions, "bright") == [post.id]  # the content warning
    for markup in ("href", "class", "nofollow", "span", "mention"):
        assert await _found(sessions, markup) == [], markup
    async with sessions.begin() as session:
        await session.execute(update(RemoteMedia).where(RemoteMedia.status_id == post.id)
                              .values(description="A sunny street"))
    assert await _found(sessions, "rainy") == []
    assert await _found(sessions, "sunny") == [post.id]


async def test_a_search_finds_only_what_the_viewer_may_see(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    viewer, friend, stranger = _account("viewer"), _account("friend"), _account("stranger")
    blocker, muted = _account("blocker"), _account("muted")
    shy = _account("shy", "far.test", discoverable=False)
    accounts = [viewer, friend, stranger, blocker, muted, shy]
    posts = {
        "public": _status(stranger, caption="otter public"),
        "unlisted": _status(stranger, caption="otter unlisted", visibility="unlisted"),
        "private_stranger": _status(stranger, caption="otter private", visibility="private"),
        "private_friend": _status(friend, caption="otter friends", visibility="private"),
        "direct_other": _status(friend, caption="otter direct", visibility="direct"),
        "own_private": _status(viewer, caption="otter mine", visibility="private"),
        "blocked": _status(blocker, caption="otter blocked"),
        "muted": _status(muted, caption="otter muted"),
        "not_discoverable": _status(shy, caption="otter shy"),
    }
    boost = _status(stranger, reblog_of_id=posts["public"].id, caption="otter boost")
    await _add(sessions, [*accounts, *posts.values(), boost,
                          Follow(account_id=viewer.id, target_account_id=friend.id,
                                 state="accepted"),
                          Block(account_id=blocker.id, target_account_id=viewer.id),
                          Mute(account_id=viewer.id, target_account_id=muted.id)])
    ids = {status.id: name for name, status in posts.items()}

    seen = {ids[i] for i in await _found(sessions, "otter", viewer)}
    assert seen == {"public", "unlisted", "private_friend", "own_private"}
    visitor = {ids[i] for i in await _found(sessions, "otter")}
    assert visitor == {"public", "unlisted", "blocked", "muted"}
    # Newest first; one author's only; pages by max_id.
    found = await _found(sessions, "otter", viewer)
    assert found == sorted(found, reverse=True)
    assert {ids[i] for i in await _found(sessions, "otter", viewer, account_id=stranger.id)} \
        == {"public", "unlisted"}
    async with sessions() as session:
        first = await post_search.search(session, "otter", viewer.id, Page(limit=2))
        rest = await post_search.search(session, "otter", viewer.id,
                                        Page(limit=40, max_id=first[-1]))
        skipped = await post_search.search(session, "otter", viewer.id, Page(limit=40),
                                           offset=2)
    assert first + rest == found == first + skipped
    # Words only: punctuation and FTS syntax in a query are not an error.
    assert await _found(sessions, '"otter* OR NEAR(') == []
    assert await _found(sessions, "?!") == []

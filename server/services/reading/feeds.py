"""The web app's feeds: timelines (server.services.reading.timelines, which decide who sees what)
turned into post cards, the viewer's bookmarks, and notifications with who did what and the
post concerned."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from server.services.context import Services
from server.services.reading import timelines
from server.services.reading.post_cards import (
    AccountCard,
    PostCard,
    account_cards_by_uri,
    cards,
    timeline_cards,
)
from server.services.reading.timelines import TimelineItem
from server.services.social import notifications as notification_service
from server.services.social.notifications import NotificationView
from server.services.statuses import bookmarks as bookmark_service
from storage.pagination import Page


@dataclass(frozen=True)
class FeedPage:
    cards: list[PostCard]
    next_max_id: int | None  # pass as max_id for the next (older) page; None at the end


async def _page(services: Services, items: list[TimelineItem],
                viewer_account_id: int | None) -> FeedPage:
    async with services.db.reader() as session:
        made = await timeline_cards(services, session, items,
                                    viewer_account_id=viewer_account_id)
    # A page that came back empty is the end; a short one may only have lost duplicates.
    return FeedPage(made, items[-1].id if items else None)


async def home(services: Services, username: str, account_id: int, page: Page) -> FeedPage:
    return await _page(services, await timelines.home(services, username, page), account_id)


async def public(services: Services, name: str, page: Page, *, username: str | None,
                 account_id: int | None) -> FeedPage:
    """The local or federated timeline (name: "local" or "federated")."""
    fetch = timelines.local if name == "local" else timelines.federated
    return await _page(services, await fetch(services, page, viewer=username), account_id)


async def hashtag(services: Services, tag: str, page: Page, *, username: str | None,
                  account_id: int | None) -> FeedPage:
    return await _page(services, await timelines.hashtag(services, tag, page, viewer=username),
                       account_id)


async def bookmarks(services: Services, username: str, account_id: int,
                    page: Page) -> FeedPage:
    """The account's saved posts, the newest save first; `next_max_id` names a bookmark, as
    the saves are paged (a post saved long ago but saved again stays where it was saved)."""
    saved = await bookmark_service.bookmarked_page(services, username, page)
    async with services.db.reader() as session:
        made = {card.id: card for card in await cards(
            services, session, [s.status_id for s in saved], viewer_account_id=account_id)}
    return FeedPage([made[s.status_id] for s in saved if s.status_id in made],
                    saved[-1].id if saved else None)


@dataclass(frozen=True)
class NotificationCard:
    id: int
    type: str
    created_at: datetime
    sender: AccountCard | None  # None when the sender's account is no longer known
    sender_handle: str
    post: PostCard | None
    excerpt: str  # the post's text, when there is no card to show
    filtered: tuple[str, ...]


@dataclass(frozen=True)
class NotificationPage:
    notifications: list[NotificationCard]
    next_max_id: int | None


async def notifications(services: Services, username: str, account_id: int,
                        page: Page) -> NotificationPage:
    views: list[NotificationView] = await notification_service.list_notifications(
        services, username, page)
    status_ids = list(dict.fromkeys(v.status_id for v in views if v.status_id is not None))
    async with services.db.reader() as session:
        senders = await account_cards_by_uri(services, session, [v.from_uri for v in views])
        posts = {card.id: card for card in await cards(services, session, status_ids,
                                                       viewer_account_id=account_id)}
    made = []
    for view in views:
        post = posts.get(view.status_id) if view.status_id is not None else None
        if post is not None and view.filtered:
            post = dataclasses.replace(post, filtered=view.filtered)
        made.append(NotificationCard(
            id=view.id, type=view.type, created_at=view.created_at,
            sender=senders.get(view.from_uri), sender_handle=view.from_handle, post=post,
            excerpt=view.status_excerpt, filtered=view.filtered))
    return NotificationPage(made, views[-1].id if views else None)

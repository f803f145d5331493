"""The web app's feeds: timelines (server.services.reading.timelines, which decide who sees what)
turned into post cards, the viewer's bookmarks, and notifications with who did what and the
post concerned."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from server.render.sanitize import plain_text
from server.services.context import Services
from server.services.reading import api_notifications, timelines
from server.services.reading.post_cards import (
    AccountCard,
    PostCard,
    account_card,
    cards,
    timeline_cards,
)
from server.services.reading.timelines import TimelineItem
from server.services.social import notifications as notification_service
from server.services.social.notifications import EXCERPT_LENGTH, GROUPABLE
from server.services.statuses import bookmarks as bookmark_service
from storage import entities as entity_queries
from storage.notification_lists import NotificationFilter
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


async def list_feed(services: Services, account_id: int, list_id: int,
                    page: Page) -> FeedPage:
    """One of the viewer's lists as post cards (NotFound for anyone else's)."""
    return await _page(services, await timelines.list_feed(services, account_id, list_id, page),
                       account_id)


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
    """One row of the notifications page: a notification, or a group of them (the likes or
    boosts of one post, or follows, close together: "Ana and 4 others liked your image")."""

    id: int  # the group's newest notification
    type: str
    created_at: datetime
    sender: AccountCard | None  # None when the sender's account is no longer known
    sender_handle: str
    post: PostCard | None
    excerpt: str  # the post's text, when there is no card to show
    filtered: tuple[str, ...]
    count: int = 1  # notifications in the group
    others: tuple[AccountCard, ...] = ()  # more of its senders (a few), newest first


@dataclass(frozen=True)
class NotificationPage:
    notifications: list[NotificationCard]
    next_max_id: int | None


async def notifications(services: Services, username: str, account_id: int,
                        page: Page) -> NotificationPage:
    """A page of the account's notifications, grouped as the client API groups them
    (server.services.reading.api_notifications.group_page), every type the web app shows."""
    await notification_service.local_account(services, username)
    async with services.db.reader() as session:
        grouping = await api_notifications.group_page(session, account_id, page,
                                                      NotificationFilter(), GROUPABLE)
        reps = dict(grouping.reps)
        sender_ids = [i for g in grouping.groups for i in g.sample_account_ids]
        senders = {i: account_card(services.config, a) for i, a in
                   (await entity_queries.accounts_by_id(session, sender_ids)).items()}
        status_ids = list(dict.fromkeys(g.status_id for g in grouping.groups
                                        if g.status_id is not None))
        posts = {card.id: card for card in await cards(services, session, status_ids,
                                                       viewer_account_id=account_id)}
    made = []
    for group in grouping.groups:
        row = reps[group.group_key]
        filtered = grouping.warnings.get(row.notification.id, ())
        post = posts.get(group.status_id) if group.status_id is not None else None
        if post is not None and filtered:
            post = dataclasses.replace(post, filtered=filtered)
        known = [senders[i] for i in group.sample_account_ids if i in senders]
        first = senders.get(row.notification.from_account_id)
        made.append(NotificationCard(
            id=group.most_recent_notification_id, type=group.type,
            created_at=group.latest_page_notification_at or row.notification.created_at,
            sender=known[0] if known else first,
            sender_handle=notification_service.handle_of(services, row.from_account),
            post=post,
            excerpt=plain_text(row.status.content, EXCERPT_LENGTH) if row.status else "",
            filtered=filtered, count=group.notifications_count,
            others=tuple(known[1:])))
    return NotificationPage(made, min(r.notification.id for r in reps.values())
                            if len(reps) >= page.limit else None)

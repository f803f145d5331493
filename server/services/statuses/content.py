"""A status's content: the caption formatted, then for remixes a visible "Remix of" line,
then (for a status with images: a text reply has none) the visible AI label (Mastodon
ignores `generator` and strips file metadata, so the label has to be text people see); and
its tags and mentions linked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from server.render.text import MentionTarget, format_caption
from server.services.context import Services
from server.services.media.credentials import credentials_path
from storage import accounts as account_queries
from storage import statuses as status_queries
from storage.models import MediaAttachment, Mention, Status, StatusTag

AI_TAG = "AIGenerated"


def _label_html(services: Services, generator: str, credentials: str | None) -> str:
    """The visible AI label: a short line and the #AIGenerated hashtag, linked; and the
    first image's content credentials page (Mastodon strips the C2PA manifest from the
    files it keeps, and keeps a link in the content)."""
    tag_url = escape(services.urls.tag(AI_TAG.lower()))
    link = f' · <a href="{escape(credentials)}">Content credentials</a>' if credentials else ""
    return (f'<p>AI-generated image · made with {escape(generator)} on Dreamfeed '
            f'<a href="{tag_url}" class="mention hashtag" rel="tag">#<span>{AI_TAG}</span>'
            f"</a>{link}</p>")


def credentials_link(services: Services, media: Sequence[MediaAttachment]) -> str | None:
    """The content credentials page of a post's first generated image, absolute."""
    for item in media:
        path = credentials_path(item) if item.generation_id is not None else None
        if path is not None:
            return services.urls.base + path
    return None


def _remix_html(url: str) -> str:
    return (f'<p>Remix of <a href="{escape(url)}" rel="nofollow noopener noreferrer" '
            f'target="_blank">{escape(url)}</a></p>')


@dataclass(frozen=True)
class Content:
    html: str
    tags: list[str]
    mentions: list[MentionTarget]


def compose(services: Services, caption: str, generator: str | None,
            mentions: dict[str, MentionTarget], remix_url: str | None,
            credentials: str | None = None) -> Content:
    """generator None: a text reply, without images, so without the AI label.
    `credentials`: the content credentials page linked from the label."""
    formatted = format_caption(caption, tag_url=services.urls.tag,
                               local_domain=services.config.instance.domain,
                               mentions=mentions)
    html = formatted.html + (_remix_html(remix_url) if remix_url else "")
    labels = []
    if generator is not None:
        html += _label_html(services, generator, credentials)
        labels = [AI_TAG.lower()]
    tags = list(dict.fromkeys([t.lower() for t in formatted.hashtags] + labels))
    return Content(html, tags, formatted.mentions)


async def link_tags_and_mentions(session: AsyncSession, status: Status,
                                 content: Content) -> None:
    for name in content.tags:
        tag = await status_queries.tag_for(session, name)
        session.add(StatusTag(status_id=status.id, tag_id=tag.id))
    for target in content.mentions:
        account = await account_queries.account_by_uri(session, target.actor_uri)
        if account is not None:
            session.add(Mention(status_id=status.id, account_id=account.id))
    await session.flush()


async def remix_url(session: AsyncSession, status: Status) -> str | None:
    """Where the "Remix of" line links: the remixed post's page, else its id."""
    if status.remix_of_id is not None:
        parent = await status_queries.by_id(session, status.remix_of_id)
        if parent is not None and parent.url:
            return parent.url
    return status.remix_of_uri

"""A profile's public posts as RSS 2.0 and Atom (the way out, for feed readers).

Pure functions: the caller loads the posts and hands them in as plain values. The documents
are built with xml.etree, so every text and attribute is escaped by the serializer; a post's
HTML goes in as text (RSS `description`, Atom `content type="html"`), i.e. escaped once, which
is what both formats expect.

The RSS shape follows Mastodon's account feed (app/views/accounts/show.rss.ruby,
app/lib/rss/*.rb): guid = link = the post's page, `media:content` per image (Media RSS) with
its rating, alt text as `media:description` and a thumbnail, `category` per hashtag, and the
channel's avatar as `image` and `webfeeds:icon`. One `enclosure` (the first image) is added
for readers that know nothing of Media RSS; RSS allows one enclosure per item.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape

RSS_CONTENT_TYPE = "application/rss+xml"
ATOM_CONTENT_TYPE = "application/atom+xml"
ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_NS = "http://search.yahoo.com/mrss/"
WEBFEEDS_NS = "http://webfeeds.org/rss/1.0"

# Characters XML 1.0 cannot carry at all (escaping does not help): a caption with a stray
# control character would otherwise make the whole feed unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

ET.register_namespace("atom", ATOM_NS)
ET.register_namespace("media", MEDIA_NS)
ET.register_namespace("webfeeds", WEBFEEDS_NS)


@dataclass(frozen=True)
class FeedImage:
    url: str
    media_type: str  # image/jpeg
    size: int  # bytes
    alt: str
    thumbnail_url: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class FeedEntry:
    title: str  # plain text
    url: str  # the post's page
    uri: str  # the post's ActivityPub id (Atom's entry id)
    published: datetime
    content_html: str  # our own (escaped) HTML of the post
    updated: datetime | None = None
    spoiler_text: str = ""  # the content warning, plain text
    sensitive: bool = False
    images: list[FeedImage] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Feed:
    title: str  # the display name
    description: str  # plain text
    page_url: str  # the profile page
    self_url: str  # this feed's own URL
    author_name: str
    icon_url: str | None = None  # the avatar
    generator: str = "Dreamfeed"
    language: str | None = None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def rfc822(moment: datetime) -> str:
    """RSS dates: 'Tue, 03 Dec 2024 05:21:00 +0000'."""
    return format_datetime(_aware(moment).astimezone(UTC))


def rfc3339(moment: datetime) -> str:
    """Atom dates: '2024-12-03T05:21:00Z'."""
    return _aware(moment).astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def entry_html(entry: FeedEntry) -> str:
    """The HTML a reader shows: a content warning is stated above the post, as Mastodon's
    rss_status_content_format does (readers cannot hide it)."""
    if not entry.spoiler_text:
        return entry.content_html
    return (f"<p><strong>Content warning:</strong> {escape(entry.spoiler_text)}</p><hr>"
            + entry.content_html)


def _sub(parent: ET.Element, tag: str, text: str | None = None,
         **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _NOT_XML.sub("", v) for k, v in attributes.items()})
    if text is not None:
        element.text = _NOT_XML.sub("", text)
    return element


def _serialize(root: ET.Element) -> bytes:
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _media_content(parent: ET.Element, image: FeedImage, sensitive: bool) -> None:
    attributes = {"url": image.url, "type": image.media_type, "fileSize": str(image.size),
                  "medium": "image"}
    if image.width and image.height:
        attributes.update(width=str(image.width), height=str(image.height))
    content = _sub(parent, f"{{{MEDIA_NS}}}content", **attributes)
    _sub(content, f"{{{MEDIA_NS}}}rating", "adult" if sensitive else "nonadult",
         scheme="urn:simple")
    if image.alt:
        _sub(content, f"{{{MEDIA_NS}}}description", image.alt, type="plain")
    if image.thumbnail_url:
        _sub(content, f"{{{MEDIA_NS}}}thumbnail", url=image.thumbnail_url)


def rss(feed: Feed, entries: list[FeedEntry]) -> bytes:
    """An RSS 2.0 document; `entries` newest first."""
    root = ET.Element("rss", {"version": "2.0"})
    channel = _sub(root, "channel")
    _sub(channel, "title", feed.title)
    _sub(channel, "description", feed.description)
    _sub(channel, "link", feed.page_url)
    _sub(channel, f"{{{ATOM_NS}}}link", href=feed.self_url, rel="self", type=RSS_CONTENT_TYPE)
    if feed.icon_url:
        image = _sub(channel, "image")
        _sub(image, "url", feed.icon_url)
        _sub(image, "title", feed.title)
        _sub(image, "link", feed.page_url)
    if entries:
        _sub(channel, "lastBuildDate", rfc822(entries[0].updated or entries[0].published))
    if feed.icon_url:
        _sub(channel, f"{{{WEBFEEDS_NS}}}icon", feed.icon_url)
    if feed.language:
        _sub(channel, "language", feed.language)
    _sub(channel, "generator", feed.generator)
    for entry in entries:
        item = _sub(channel, "item")
        _sub(item, "title", entry.title)
        _sub(item, "guid", entry.url, isPermaLink="true")
        _sub(item, "link", entry.url)
        _sub(item, "pubDate", rfc822(entry.published))
        _sub(item, "description", entry_html(entry))
        if entry.images:
            first = entry.images[0]
            _sub(item, "enclosure", url=first.url, length=str(first.size),
                 type=first.media_type)
        for picture in entry.images:
            _media_content(item, picture, entry.sensitive)
        for tag in entry.tags:
            _sub(item, "category", tag)
    return _serialize(root)


def atom(feed: Feed, entries: list[FeedEntry]) -> bytes:
    """An Atom (RFC 4287) document; `entries` newest first."""
    # Atom is the default namespace, declared by hand (<feed xmlns="...Atom">) so its
    # elements go unprefixed; ElementTree's default_namespace would refuse plain attributes.
    root = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(root, "id", feed.page_url)
    _sub(root, "title", feed.title)
    _sub(root, "subtitle", feed.description)
    newest = max((e.updated or e.published for e in entries), default=None)
    _sub(root, "updated", rfc3339(newest or datetime(1970, 1, 1, tzinfo=UTC)))
    _sub(root, "link", rel="alternate", type="text/html", href=feed.page_url)
    _sub(root, "link", rel="self", type=ATOM_CONTENT_TYPE, href=feed.self_url)
    author = _sub(root, "author")
    _sub(author, "name", feed.author_name)
    _sub(author, "uri", feed.page_url)
    if feed.icon_url:
        _sub(root, "icon", feed.icon_url)
    _sub(root, "generator", feed.generator)
    for entry in entries:
        item = _sub(root, "entry")
        _sub(item, "id", entry.uri)
        _sub(item, "title", entry.title)
        _sub(item, "link", rel="alternate", type="text/html", href=entry.url)
        _sub(item, "published", rfc3339(entry.published))
        _sub(item, "updated", rfc3339(entry.updated or entry.published))
        if entry.spoiler_text:
            _sub(item, "summary", entry.spoiler_text)
        _sub(item, "content", entry_html(entry), type="html")
        for picture in entry.images:
            _sub(item, "link", rel="enclosure", type=picture.media_type,
                 length=str(picture.size), href=picture.url)
            _media_content(item, picture, entry.sensitive)
        for tag in entry.tags:
            _sub(item, "category", term=tag)
    return _serialize(root)

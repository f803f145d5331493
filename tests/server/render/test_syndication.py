"""RSS 2.0 and Atom documents for a profile, parsed back as a feed reader would."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from server.render.syndication import (
    ATOM_NS,
    MEDIA_NS,
    Feed,
    FeedEntry,
    FeedImage,
    atom,
    rfc822,
    rfc3339,
    rss,
)

A = f"{{{ATOM_NS}}}"
M = f"{{{MEDIA_NS}}}"
WHEN = datetime(2024, 12, 3, 5, 21, tzinfo=UTC)
EDITED = datetime(2024, 12, 4, 8, 0, tzinfo=UTC)
FEED = Feed(title="Alice & <Co>", description="Public posts from @alice@d.test",
            page_url="https://d.test/@alice", self_url="https://d.test/@alice.rss",
            author_name="Alice & <Co>", icon_url="https://d.test/media/a/avatar.jpg",
            generator="Dreamfeed 0.1.0")
IMAGE = FeedImage(url="https://d.test/media/7/image.jpg", media_type="image/jpeg", size=12345,
                  alt='a "red" fox & <moon>', thumbnail_url="https://d.test/media/7/thumb.jpg",
                  width=1024, height=768)
POST = FeedEntry(title="Fox <at> night", url="https://d.test/@alice/7",
                 uri="https://d.test/users/alice/statuses/7", published=WHEN,
                 content_html='<p>Fox &amp; moon <a href="https://d.test/tags/art">#art</a></p>',
                 images=[IMAGE, FeedImage(url="https://d.test/media/8/image.jpg",
                                          media_type="image/jpeg", size=999, alt="")],
                 tags=["art", "fox"])
WARNED = FeedEntry(title="Content warning: spiders", url="https://d.test/@alice/6",
                   uri="https://d.test/users/alice/statuses/6",
                   published=datetime(2024, 12, 1, tzinfo=UTC), updated=EDITED,
                   content_html="<p>eight legs</p>", spoiler_text="spiders <3", sensitive=True)


def test_dates() -> None:
    assert rfc822(WHEN) == "Tue, 03 Dec 2024 05:21:00 +0000"
    assert rfc3339(WHEN) == "2024-12-03T05:21:00Z"


def test_rss_channel_and_items() -> None:
    root = ET.fromstring(rss(FEED, [POST, WARNED]))
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("title") == "Alice & <Co>"  # escaped on the wire, exact when read
    assert channel.findtext("link") == "https://d.test/@alice"
    assert channel.find(f"{A}link").get("rel") == "self"  # type: ignore[union-attr]
    assert channel.findtext("image/url") == FEED.icon_url
    assert channel.findtext("lastBuildDate") == rfc822(WHEN)
    items = channel.findall("item")
    assert [i.findtext("link") for i in items] == [POST.url, WARNED.url]
    first = items[0]
    assert first.findtext("title") == "Fox <at> night"
    guid = first.find("guid")
    assert guid is not None and guid.text == POST.url and guid.get("isPermaLink") == "true"
    assert first.findtext("pubDate") == rfc822(WHEN)
    # The description is the post's HTML, carried as text: a reader gets the markup back.
    assert first.findtext("description") == POST.content_html
    assert [c.text for c in first.findall("category")] == ["art", "fox"]
    enclosure = first.find("enclosure")
    assert enclosure is not None and enclosure.attrib == {
        "url": IMAGE.url, "length": "12345", "type": "image/jpeg"}
    media = first.findall(f"{M}content")
    assert [m.get("url") for m in media] == [IMAGE.url, "https://d.test/media/8/image.jpg"]
    assert media[0].get("medium") == "image" and media[0].get("fileSize") == "12345"
    assert media[0].findtext(f"{M}description") == 'a "red" fox & <moon>'
    assert media[0].findtext(f"{M}rating") == "nonadult"
    assert media[0].find(f"{M}thumbnail").get("url") == IMAGE.thumbnail_url  # type: ignore[union-attr]
    assert media[1].find(f"{M}description") is None  # no alt text, no element


def test_rss_states_content_warnings() -> None:
    item = ET.fromstring(rss(FEED, [WARNED])).find("channel/item")
    assert item is not None
    description = item.findtext("description") or ""
    assert description.startswith("<p><strong>Content warning:</strong> spiders &lt;3</p>")
    assert description.endswith("<p>eight legs</p>")
    assert ET.fromstring(rss(FEED, [WARNED])).findtext("channel/lastBuildDate") == rfc822(EDITED)


def test_rss_escapes_markup_and_drops_control_characters() -> None:
    hostile = FeedEntry(title="</title><script>x\x00\x07</script>", url="https://d.test/@a/1",
                        uri="https://d.test/users/a/statuses/1", published=WHEN,
                        content_html="<p>]]&gt; <script>alert(1)</script></p>")
    document = rss(FEED, [hostile])
    assert b"<script>" not in document  # every text is escaped by the serializer
    item = ET.fromstring(document).find("channel/item")
    assert item is not None
    assert item.findtext("title") == "</title><script>x</script>"
    assert item.findtext("description") == hostile.content_html


def test_empty_rss() -> None:
    channel = ET.fromstring(rss(FEED, [])).find("channel")
    assert channel is not None and channel.findall("item") == []
    assert channel.find("lastBuildDate") is None


def test_atom_feed_and_entries() -> None:
    atom_feed = Feed(**{**FEED.__dict__, "self_url": "https://d.test/@alice.atom"})
    root = ET.fromstring(atom(atom_feed, [POST, WARNED]))
    assert root.tag == f"{A}feed"
    assert root.findtext(f"{A}id") == "https://d.test/@alice"
    assert root.findtext(f"{A}title") == "Alice & <Co>"
    assert root.findtext(f"{A}updated") == rfc3339(EDITED)  # the newest change
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
    assert links == {"alternate": "https://d.test/@alice", "self": "https://d.test/@alice.atom"}
    assert root.findtext(f"{A}author/{A}name") == "Alice & <Co>"
    entries = root.findall(f"{A}entry")
    assert [e.findtext(f"{A}id") for e in entries] == [POST.uri, WARNED.uri]
    first, second = entries
    assert first.findtext(f"{A}published") == "2024-12-03T05:21:00Z"
    content = first.find(f"{A}content")
    assert content is not None and content.get("type") == "html"
    assert content.text == POST.content_html
    enclosures = [link for link in first.findall(f"{A}link") if link.get("rel") == "enclosure"]
    assert [e.get("href") for e in enclosures] == [IMAGE.url, "https://d.test/media/8/image.jpg"]
    assert enclosures[0].get("length") == "12345"
    assert [c.get("term") for c in first.findall(f"{A}category")] == ["art", "fox"]
    assert first.find(f"{M}content") is not None
    assert second.findtext(f"{A}summary") == "spiders <3"
    assert second.findtext(f"{A}updated") == rfc3339(EDITED)
    assert second.find(f"{M}content") is None

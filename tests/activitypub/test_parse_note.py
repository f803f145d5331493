"""Parsing remote posts: recorded shapes from Mastodon, GoToSocial, Pixelfed, Misskey and
Dreamfeed itself (tests/data/notes/*.json, each with a "_source" saying where its shape comes
from), then the edges one at a time."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from activitypub.parse import ParseError, parse_activity
from activitypub.parse_note import MAX_ALT, MAX_ATTACHMENTS, html_to_text, parse_note
from activitypub.vocab import PUBLIC

NOTES = Path(__file__).parent.parent / "data" / "notes"


def recorded(name: str) -> dict[str, Any]:
    """The recorded Create activity, without its "_source" line."""
    doc = json.loads((NOTES / f"{name}.json").read_text())
    assert doc.pop("_source")
    return dict(doc)


def recorded_note(name: str) -> dict[str, Any]:
    activity = parse_activity(recorded(name))
    assert activity.type == "Create" and activity.object is not None
    return activity.object


def test_every_recorded_note_names_its_source() -> None:
    names = sorted(p.stem for p in NOTES.glob("*.json"))
    assert names == ["article_plume", "dreamfeed", "gotosocial", "mastodon", "misskey",
                     "pixelfed", "question_mastodon"]
    for name in names:
        assert "_source" in json.loads((NOTES / f"{name}.json").read_text())


def test_mastodon_note() -> None:
    note = parse_note(recorded_note("mastodon"))
    assert note.id == "https://mastodon.example/users/carol/statuses/113456789012345678"
    assert note.type == "Note"
    assert note.attributed_to == "https://mastodon.example/users/carol"
    assert note.url == "https://mastodon.example/@carol/113456789012345678"
    assert note.summary == "bright colours" and note.sensitive is True
    assert note.language == "en"
    assert note.content.startswith("<p><span class=\"h-card\"")
    assert note.published == datetime(2024, 11, 2, 9, 15, 27, tzinfo=UTC)
    assert note.updated is None
    assert note.to == [PUBLIC]
    assert note.cc == ["https://mastodon.example/users/carol/followers",
                       "https://dreamfeed.example/users/alice"]
    assert note.in_reply_to == "https://dreamfeed.example/users/alice/statuses/113400000000000000"
    # Two Documents kept, the link-preview `Link` is not a picture.
    first, second = note.attachments
    assert first.url.endswith("/a1b2c3.jpg") and first.media_type == "image/jpeg"
    assert first.description == "A violet sea under two moons"
    assert (first.width, first.height) == (1536, 1024)
    assert first.blurhash == "LEHV6nWB2yk8pyo0adR*.7kCMdnj"
    assert second.description == "" and second.media_type == "image/png"
    assert [t.name for t in note.hashtags] == ["aiart"]
    assert note.hashtags[0].href == "https://mastodon.example/tags/aiart"
    assert [(m.href, m.name) for m in note.mentions] == [
        ("https://dreamfeed.example/users/alice", "@alice@dreamfeed.example")]
    # Not Dreamfeed: says nothing about remixing or provenance.
    assert (note.can_remix, note.remix_of, note.prompt, note.generator_name) == \
        (None, None, None, None)


def test_gotosocial_note() -> None:
    note = parse_note(recorded_note("gotosocial"))
    assert note.id.endswith("/statuses/01J9ZQ1B2C3D4E5F6G7H8J9K0M")
    assert note.url == "https://gts.example/@gus/statuses/01J9ZQ1B2C3D4E5F6G7H8J9K0M"
    assert note.language == "en-GB"
    assert note.summary == "" and note.sensitive is False
    # "as:Public" is the compact spelling of the public collection.
    assert note.to == ["https://gts.example/users/gus/followers"] and note.cc == [PUBLIC]
    assert note.in_reply_to is None
    welcome, sign = note.attachments
    assert welcome.description.startswith("Black and white image of some 50's style text")
    assert welcome.blurhash == "LIIE|gRj00WB-;j[t7j[4nWBj[Rj"
    assert welcome.width is None and welcome.height is None
    # v0.21's alt text in `summary`, HTML reduced to text.
    assert sign.media_type == "image/webp"
    assert sign.description == 'A faded sign:\n"No & Never"'


def test_pixelfed_note_with_its_tag_object() -> None:
    note = parse_note(recorded_note("pixelfed"))
    assert note.id == "https://pixelfed.example/p/dana/712345678901234567"
    assert note.published == datetime(2024, 9, 30, 21, 7, 11, tzinfo=UTC)
    assert note.summary == "" and note.language is None
    [photo] = note.attachments
    assert photo.description == "" and (photo.width, photo.height) == (1080, 1350)
    # The PHP-merged `tag` object still yields the reply's Mention and the hashtag.
    assert [m.href for m in note.mentions] == ["https://dreamfeed.example/users/alice"]
    assert [t.name for t in note.hashtags] == ["koi"]


def test_misskey_note() -> None:
    note = parse_note(recorded_note("misskey"))
    assert note.id == "https://misskey.example/notes/9w1x2y3z4a"
    assert note.url is None and note.language is None
    # An empty CW arrives as a zero-width space: no text, but still sensitive.
    assert note.summary == "" and note.sensitive is True
    assert note.published == datetime(2024, 8, 15, 3, 21, 9, 412000, tzinfo=UTC)
    # The parent, embedded, is named by its id.
    assert note.in_reply_to == "https://misskey.example/notes/9parentnote"
    # The video Document is not an image Dreamfeed can show.
    [picture] = note.attachments
    assert picture.media_type == "image/webp" and picture.description == ""
    assert [t.name for t in note.hashtags] == ["夕焼け"]
    assert note.mentions == []


def test_dreamfeed_note_with_provenance_and_remix() -> None:
    note = parse_note(recorded_note("dreamfeed"))
    assert note.remix_of == "https://a.example/users/alice/statuses/113400000000000000"
    assert note.can_remix is True
    assert (note.prompt, note.model, note.seed) == ("a koi, in gold", "dreamfeed-procedural",
                                                    4242)
    assert note.generator_name == "dreamfeed-procedural 1"
    assert [t.name for t in note.hashtags] == ["aigenerated"]
    [image] = note.attachments
    assert image.description == "a golden koi" and image.width == 1024


# --- edges -----------------------------------------------------------------------------------


def minimal(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": "https://s.example/notes/1", "type": "Note",
                           "attributedTo": "https://s.example/users/u", "content": "<p>x</p>"}
    doc.update(overrides)
    return doc


@pytest.mark.parametrize(("doc", "message"), [
    ("a string", "JSON object"),
    (minimal(id=None), "note id"),
    (minimal(id="ftp://s.example/1"), "note id"),
    (minimal(type="Person"), "not a note type"),
    (minimal(type="Create"), "not a note type"),
    (minimal(attributedTo=None), "attributedTo"),
    (minimal(attributedTo={"type": "Person"}), "attributedTo"),
    (minimal(content={"html": "x"}), "content must be a string"),
    (minimal(published="yesterday"), "published is not an ISO 8601 date"),
    (minimal(updated=1700000000), "updated must be an ISO 8601 date string"),
])
def test_bad_shapes_are_refused_with_the_field_named(doc: Any, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_note(doc)


def test_other_post_types_keep_their_type() -> None:
    for kind in ("Article", "Page", "Question", ["Note", "Extra"]):
        note = parse_note(minimal(type=kind))
        assert note.type == (kind[0] if isinstance(kind, list) else kind)


def test_attributed_to_as_object_or_list() -> None:
    assert parse_note(minimal(attributedTo={"id": "https://s.example/users/u",
                                            "type": "Person"})).attributed_to \
        == "https://s.example/users/u"
    # PeerTube: the channel (Group) and the person; the first actor wins, non-actors skipped.
    doc = minimal(attributedTo=[{"type": "Link", "id": "https://s.example/l"},
                                {"type": "Group", "id": "https://s.example/c/chan"},
                                "https://s.example/users/u"])
    assert parse_note(doc).attributed_to == "https://s.example/c/chan"


def test_content_from_content_map_and_bounded() -> None:
    note = parse_note(minimal(content=None, contentMap={"de": "<p>hallo</p>"}))
    assert (note.content, note.language) == ("<p>hallo</p>", "de")
    assert parse_note(minimal(contentMap={"not a tag!": "x"})).language is None
    assert len(parse_note(minimal(content="x" * 200_000)).content) == 100_000
    assert parse_note(minimal(content=None)).content == ""


def test_naive_dates_are_utc_and_offsets_kept() -> None:
    note = parse_note(minimal(published="2024-01-02T03:04:05",
                              updated="2024-01-02T05:04:05+02:00"))
    assert note.published == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert note.updated == note.published


def test_url_forms() -> None:
    assert parse_note(minimal(url={"type": "Link", "href": "https://s.example/@u/1"})).url \
        == "https://s.example/@u/1"
    links = [{"type": "Link", "mediaType": "application/activity+json",
              "href": "https://s.example/notes/1"},
             {"type": "Link", "mediaType": "text/html", "href": "https://s.example/@u/1"}]
    assert parse_note(minimal(url=links)).url == "https://s.example/@u/1"
    assert parse_note(minimal(url="javascript:alert(1)")).url is None


def test_addressing_forms() -> None:
    note = parse_note(minimal(to="Public", cc=[{"id": "https://s.example/users/u/followers"},
                                              42, "as:Public"]))
    assert note.to == [PUBLIC]
    assert note.cc == ["https://s.example/users/u/followers", PUBLIC]
    assert note.addressees == [PUBLIC, "https://s.example/users/u/followers", PUBLIC]


def image(n: int, **extra: Any) -> dict[str, Any]:
    return {"type": "Image", "mediaType": "image/png", "url": f"https://s.example/{n}.png",
            **extra}


def test_attachments_keep_the_first_four_pictures() -> None:
    items = [{"type": "Video", "url": "https://s.example/v.mp4"},
             {"type": "Document", "url": "https://s.example/no-type"},  # no mediaType: kept
             image(1, url=None),  # no URL: dropped
             *[image(n) for n in range(2, 9)]]
    kept = parse_note(minimal(attachment=items)).attachments
    assert len(kept) == MAX_ATTACHMENTS
    assert [a.url for a in kept] == ["https://s.example/no-type", "https://s.example/2.png",
                                     "https://s.example/3.png", "https://s.example/4.png"]
    assert kept[0].media_type is None
    # A single attachment object, not a list.
    assert len(parse_note(minimal(attachment=image(1))).attachments) == 1


def test_attachment_url_forms_and_bounds() -> None:
    links = [{"type": "Link", "mediaType": "image/avif", "href": "https://s.example/a.avif"},
             {"type": "Link", "mediaType": "text/html", "href": "https://s.example/page"}]
    [first, second, third] = parse_note(minimal(attachment=[
        image(1, url={"type": "Link", "href": "https://s.example/link.png"}),
        image(2, url=list(reversed(links)), name="x" * 5000, width=True, height=-3),
        image(3, width=640, height=480.5, blurhash="not a blurhash!"),
    ])).attachments
    assert first.url == "https://s.example/link.png"
    assert second.url == "https://s.example/a.avif"  # the image link, not the page
    assert len(second.description) == MAX_ALT
    assert (second.width, second.height) == (None, None)  # true and -3 are not sizes
    assert (third.width, third.height, third.blurhash) == (640, None, None)


@pytest.mark.parametrize(("blurhash", "kept"), [
    ("LEHV6nWB2yk8pyo0adR*.7kCMdnj", True),  # 4x3
    ("LEHV6nWB2yk8pyo0adR*.7kCMdn", False),  # one character short of its header
    ("00TI:j", True),  # 1x1
    ("z" + "0" * 3 + "00" * 81, False),  # 9x9: more than Mastodon's 5x5
    ("LEHV6nWB2yk8pyo0adR*.7kCMd\"j", False),  # outside the alphabet
    (12345, False),
])
def test_blurhash_checks(blurhash: Any, kept: bool) -> None:
    [attachment] = parse_note(minimal(attachment=image(1, blurhash=blurhash))).attachments
    assert (attachment.blurhash == blurhash) is kept


def test_tags() -> None:
    tags = [{"type": "Hashtag", "name": "#Cats"}, {"type": "Hashtag", "name": "#cats"},
            {"type": "Hashtag", "name": "#1234"}, {"type": "Hashtag", "name": "#two words"},
            {"type": "Hashtag", "name": "\uff03\uff2b\uff4f\uff49", "href": "javascript:x"},
            {"type": "Mention", "href": "https://s.example/users/v"},
            {"type": "Mention", "href": "not a url", "name": "@x"},
            {"type": "Emoji", "name": ":blob:"}, "https://s.example/tag"]
    note = parse_note(minimal(tag=tags))
    assert [(t.name, t.href) for t in note.hashtags] == [("cats", None), ("koi", None)]
    assert [(m.href, m.name) for m in note.mentions] == [("https://s.example/users/v", "")]


def test_dreamfeed_terms_are_checked() -> None:
    note = parse_note(minimal(canRemix="yes", seed=True, prompt="   ", model=7,
                              generator="https://s.example/app", remixOf={"id": "nope"}))
    assert (note.can_remix, note.seed, note.prompt, note.model, note.generator_name,
            note.remix_of) == (None, None, None, None, None, None)
    note = parse_note(minimal(canRemix=False, seed=1 << 63, remixOf={"id": "https://a.example/1"}))
    assert (note.can_remix, note.seed, note.remix_of) == (False, None, "https://a.example/1")


def test_parsing_does_not_change_the_document() -> None:
    doc = recorded_note("pixelfed")
    before = copy.deepcopy(doc)
    parse_note(doc)
    assert doc == before


def test_html_to_text() -> None:
    assert html_to_text("<p>a &amp;lt; b</p><p>c<br/>d</p>") == "a &lt; b\n\nc\nd"

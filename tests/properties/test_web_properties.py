"""Remote and visitor input outside ActivityPub documents: WebFinger answers, the `next`
of a form, remote HTML. Each gives a value, never an exception, and the value keeps its
promise (a kept URL, a local path, sanitized HTML that stays the same when sanitized again)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hypothesis import example, given
from hypothesis import strategies as st

from activitypub.rel_me import MAX_LINKS, rel_me_links, single_link
from server.handlers.web.common import safe_next
from server.render.sanitize import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    URL_SCHEMES,
    plain_text,
    sanitize_html,
)
from server.services.federation.remote import webfinger_actor
from tests.properties.strategies import ANY_JSON, FIELDS, PROPERTY_SETTINGS, TEXT, URLS
from tests.properties.test_parse_properties import kept

LINK = st.fixed_dictionaries({
    "rel": st.sampled_from(["self", "http://webfinger.net/rel/profile-page", "SELF"]) | TEXT,
    "type": st.sampled_from(["application/activity+json",
                             'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
                             "text/html"]) | TEXT,
    "href": URLS | ANY_JSON,
})
JRD = st.fixed_dictionaries(
    {"subject": TEXT, "links": st.lists(LINK | ANY_JSON, max_size=4) | ANY_JSON},
    optional={"aliases": ANY_JSON}) | ANY_JSON | st.dictionaries(FIELDS, ANY_JSON)


@PROPERTY_SETTINGS
@given(JRD)
def test_webfinger_answer(doc: Any) -> None:
    actor = webfinger_actor(doc)
    assert actor is None or kept(actor), actor


def test_webfinger_answer_as_mastodon_sends_it() -> None:
    doc = {"subject": "acct:carol@remote.example", "links": [
        {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
         "href": "https://remote.example/@carol"},
        {"rel": "self", "type": "application/activity+json",
         "href": "https://remote.example/users/carol"}]}
    assert webfinger_actor(doc) == "https://remote.example/users/carol"


NEXTS = st.one_of(
    TEXT, st.none(),
    st.builds(lambda a, b: a + b,
              st.sampled_from(["/", "//", "/\t/", "/\\", "\\", "/%2f", "/%09/", "/%0d%0a",
                               "https://evil.example", "/%5c", "%2F%2F", "/\u3000/"]), TEXT),
)


@PROPERTY_SETTINGS
@given(NEXTS)
@example("/\t/evil.example")
@example("/%0d%0aSet-Cookie:x=1")
@example("/\\evil.example")
def test_safe_next_is_a_local_path(target: str | None) -> None:
    result = safe_next(target, default="/home")
    if result != "/home":
        assert result == target
        assert result.startswith("/") and not result.startswith("//")
        assert result.isascii() and result.isprintable() and "\\" not in result


HTML_PIECES = st.sampled_from([
    "<p>", "</p>", "<a href=\"https://x.example/\">", "<a href='javascript:alert(1)'>", "</a>",
    "<script>", "</script>", "<style>", "<span class=\"mention h-card evil\">", "</span>",
    "<h1>", "</h1>", "<div>", "</div>", "<br>", "<!--", "-->", "<![CDATA[", "]]>", "&amp;",
    "&lt;", "&#0;", "&#xd800;", "<svg onload=x>", "<img src=x onerror=y>", "<template>",
    "<a href=\"//evil.example\">", "<a href=\"mailto:\">", "<p class=\"x\">", "<math>",
    "<noscript>", "<plaintext>", "<table>", "<tr>", "<select>", "<textarea>", "<",
])
HTML = st.lists(HTML_PIECES | TEXT, max_size=25).map("".join)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """The start tags a browser-like parser finds in `html`, with their attributes."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.found


@PROPERTY_SETTINGS
@given(HTML)
@example("<p>a<div>b</div></p>")
@example("\ud800")
@example("</p>\ufeff")
@example("<a href=\"https://x.example/\">a<a href=\"https://y.example/\">b</a></a>")
def test_sanitize_html(html: str) -> None:
    cleaned = sanitize_html(html)
    assert isinstance(cleaned, str)
    for tag, attributes in _tags(cleaned):
        assert tag in ALLOWED_TAGS, tag
        for name, value in attributes:
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, (tag, name)
            if name == "href":
                assert urlsplit(value or "").scheme in URL_SCHEMES, value
    assert sanitize_html(cleaned) == cleaned  # the docstring's promise: idempotent
    text = plain_text(html, limit=100)
    assert isinstance(text, str) and "\n" not in text


def test_hostile_html_with_lone_surrogates() -> None:
    """Found by test_sanitize_html: nh3 raised UnicodeEncodeError on a lone surrogate."""
    path = Path(__file__).resolve().parent.parent / "data" / "hostile" / \
        "note-html-lone-surrogates.json"
    note = json.loads(path.read_text())
    for html in (note["content"], note["summary"]):
        cleaned = sanitize_html(html)
        cleaned.encode("utf-8")
        plain_text(html).encode("utf-8")
    assert "\ufffd" in sanitize_html(note["content"])


@PROPERTY_SETTINGS
@given(st.text(max_size=2000) | st.lists(
    st.sampled_from(['<a rel="me" href="', '">', "</a>", "<link rel='me' href=", "<a ", "rel=me",
                     "href=x", "<", ">", '"', "https://a.example", "<span>", "</span>"]),
    max_size=40).map("".join))
def test_rel_me_readings_never_raise(html: str) -> None:
    """A fetched page and a remote field value are anyone's HTML: a list of strings, or one
    string taken from a link's own href, never an exception."""
    links = rel_me_links(html)
    assert len(links) <= MAX_LINKS and all(isinstance(link, str) and link for link in links)
    found = single_link(html)
    assert found is None or (isinstance(found, str) and found)

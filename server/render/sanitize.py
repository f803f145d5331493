"""Remote HTML -> HTML safe to show on our pages and to hand to clients.

The one module that imports nh3 (ammonia, an html5ever-based allow-list sanitizer): whatever
a remote server sends as `content` passes through `sanitize_html` before it is stored.

The allow-list is a small subset of Mastodon's (Sanitize::Config::MASTODON_STRICT): paragraphs,
line breaks, links, spans, inline emphasis, code, quotes and lists. Everything else keeps its
text and loses its tag; <script>, <style> and <template> lose their content too. Links keep only
absolute http/https/mailto targets and always get rel="nofollow noopener noreferrer" (the
remote's own rel is replaced: it cannot be trusted to include those). Class names survive only
where Mastodon keeps them: microformats (h-*, p-*, u-*, dt-*, e-*), mention, hashtag, ellipsis,
invisible, which is how mentions and shortened links are styled.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import nh3

ALLOWED_TAGS = frozenset({
    "p", "br", "a", "span", "strong", "em", "b", "i", "u", "del", "s", "code", "pre",
    "blockquote", "ul", "ol", "li",
})
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "class"}, "span": {"class"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"
# Dropped with everything inside them, not just unwrapped.
CONTENT_DROPPED_TAGS = frozenset({"script", "style", "template"})

# Block elements outside the allow-list become paragraphs (as Mastodon's sanitizer turns
# headings and divs into <p>), so "<h2>Title</h2><div>text</div>" does not run together.
# Renaming happens before sanitizing, so it can only ever produce markup nh3 then checks.
_BLOCK_TAG = re.compile(r"<(/?)(?:h[1-6]|div|section|article|header|footer|aside|figure|"
                        r"figcaption|table|tr|dl|dt|dd|details|summary)\b", re.IGNORECASE)
# quote-inline: a quote post's fallback link (FEP-044f), hidden where the quote shows.
_KEPT_CLASS = re.compile(r"(?:h|p|u|dt|e)-[\w-]+|mention|hashtag|ellipsis|invisible|"
                         r"quote-inline")
# A JSON body may carry lone surrogates (\ud800); nh3 hands text to Rust as UTF-8, which cannot
# hold them (UnicodeEncodeError), so they become U+FFFD first, as an HTML parser would.
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _encodable(html: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", html)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        kept = [name for name in value.split() if _KEPT_CLASS.fullmatch(name)]
        return " ".join(kept) or None
    if attribute == "href":
        return value if _absolute_allowed_url(value) else None
    return value


def _absolute_allowed_url(value: str) -> bool:
    """Relative links would resolve against our own pages, so they go as well."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    if parts.scheme.lower() == "mailto":
        return bool(parts.path)
    return parts.scheme.lower() in URL_SCHEMES and bool(parts.netloc)


def sanitize_html(html: str) -> str:
    """Remote HTML reduced to the allow-list. Idempotent: sanitizing twice changes nothing."""
    if not html:
        return ""
    cleaned = nh3.clean(
        _BLOCK_TAG.sub(r"<\1p", _encodable(html)),
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(CONTENT_DROPPED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_filter_attribute,
        strip_comments=True,
        link_rel=LINK_REL,
        url_schemes=set(URL_SCHEMES),
    )
    # Nested blocks (a div in a div) leave empty paragraphs behind once both are <p>. A
    # leading U+FEFF goes too: the HTML parser takes it for a byte-order mark and drops it
    # on the next pass, so keeping one would break idempotence ("</p>\ufeff").
    return cleaned.replace("<p></p>", "").lstrip("\ufeff")


def plain_text(html: str, limit: int | None = None) -> str:
    """The visible text of (remote or local) post HTML on one line, for listings such as
    `dreamfeed notifications`; cut at `limit` characters with an ellipsis."""
    spaced = re.sub(r"(?i)<br\s*/?>|</p\s*>", " ", _encodable(html))
    text = nh3.clean(spaced, tags=set(), clean_content_tags=set(CONTENT_DROPPED_TAGS))
    # nh3 leaves the text HTML-escaped; undo that for a terminal.
    text = " ".join(unescape(text).split())
    if limit is not None and len(text) > limit:
        return text[:max(limit - 1, 0)].rstrip() + "…"
    return text

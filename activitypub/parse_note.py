"""Parsing posts that arrive from other servers: Note (and Article, Page, Question, kept as
text for now), in the shapes Mastodon, GoToSocial, Pixelfed and Misskey send.

Pure: dicts in, a frozen ParsedNote out. Nothing here trusts the document; it only checks
shape and bounds. Who may speak for the note (attributedTo == actor, same origin) is the
caller's decision. Content stays HTML as received; sanitizing it is server.render.sanitize's
job. A note without a usable id, type or author raises ParseError; a malformed optional part
(an attachment without a URL, a blurhash out of spec) is dropped on its own, as Mastodon does.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from activitypub.interaction_policy import (
    REPLY,
    Policy,
    parse_policy,
    proof_of,
    remix_allowed,
)
from activitypub.parse import ParseError, clean_text, first_type, object_id, remote_uri
from activitypub.quotes import CanQuote, parse_can_quote, quote_authorization_of, quote_of
from activitypub.vocab import ACTOR_TYPES, PUBLIC, PUBLIC_ALIASES

NOTE_TYPES = frozenset({"Note", "Article", "Page", "Question"})
ATTACHMENT_TYPES = frozenset({"Image", "Document"})

# Mastodon keeps the first four attachments of a remote post and drops the rest.
MAX_ATTACHMENTS = 4
# Mastodon's limit on a media description (MediaAttachment::MAX_DESCRIPTION_LENGTH).
MAX_ALT = 1_500
# Remote content is not length-limited by the fediverse, but a note travels in an inbox body of
# at most 1 MiB; this keeps a stored post bounded without cutting ordinary long posts.
MAX_CONTENT = 100_000
MAX_SUMMARY = 1_000
MAX_TAGS = 64
MAX_NAME = 255
MAX_PROMPT = 4_000  # the longest prompt a Dreamfeed instance accepts from its own users
MAX_MODEL = 128
MAX_LANGUAGE = 16
MAX_DIMENSION = 100_000
# Mastodon ignores blurhashes with more than 5x5 components (supported_blurhash?).
MAX_BLURHASH_COMPONENTS = 5

# Blurhash's base-83 alphabet, in digit order.
_BLURHASH_CHARS = ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                   "#$%*+,-.:;=?@[]^_{|}~")
_LANGUAGE_RE = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")
# A hashtag name after its '#': word characters and Mastodon's separators, not only digits.
_TAG_NAME_RE = re.compile(r"[\w\u00b7\u30fb\u200c]+")
_INT64 = 1 << 63
# Misskey sends a zero-width space as the summary of a CW without text, so Mastodon shows one.
_BLANK = " \t\r\n\u200b\ufeff"


@dataclass(frozen=True)
class ParsedAttachment:
    url: str
    media_type: str | None
    description: str  # alt text, plain
    width: int | None
    height: int | None
    blurhash: str | None


@dataclass(frozen=True)
class ParsedHashtag:
    name: str  # lowercase, without '#'
    href: str | None


@dataclass(frozen=True)
class ParsedMention:
    href: str  # the mentioned actor's id
    name: str  # as written, e.g. "@alice@example.com"


@dataclass(frozen=True)
class ParsedNote:
    id: str
    type: str
    attributed_to: str
    content: str  # HTML as received (bounded), not yet sanitized
    language: str | None
    summary: str  # content warning, plain text as received
    sensitive: bool
    published: datetime | None
    updated: datetime | None
    url: str | None
    to: list[str]
    cc: list[str]
    in_reply_to: str | None
    attachments: list[ParsedAttachment] = field(default_factory=list)
    hashtags: list[ParsedHashtag] = field(default_factory=list)
    mentions: list[ParsedMention] = field(default_factory=list)
    # Dreamfeed's own terms; None where the sender did not say (other software never does).
    remix_of: str | None = None
    can_remix: bool | None = None
    prompt: str | None = None
    model: str | None = None
    seed: int | None = None
    generator_name: str | None = None
    # FEP-044f: the post it quotes, the stamp approving that, and who may quote it.
    quote: str | None = None
    quote_authorization: str | None = None
    can_quote: CanQuote | None = None
    # GoToSocial's interaction controls: the stated policy (None: its server states none),
    # and the authorization a reply carries (replyAuthorization, or the older approvedBy).
    interaction_policy: Policy | None = None
    reply_authorization: str | None = None

    @property
    def addressees(self) -> list[str]:
        return [*self.to, *self.cc]


def parse_note(doc: Any) -> ParsedNote:
    """A post object. Raises ParseError naming the field that is wrong."""
    if not isinstance(doc, dict):
        raise ParseError("note must be a JSON object")
    note_id = remote_uri(doc.get("id"))
    if note_id is None:
        raise ParseError("note id must be an http(s) URL")
    kind = first_type(doc)
    if kind not in NOTE_TYPES:
        raise ParseError(f"not a note type: {doc.get('type')!r}")
    author = _author(doc.get("attributedTo"))
    if author is None:
        raise ParseError("note attributedTo must name an actor by URL")
    content, language = _content(doc)
    return ParsedNote(
        id=note_id,
        type=kind,
        attributed_to=author,
        content=content,
        language=language,
        summary=_plain(doc.get("summary"), MAX_SUMMARY).strip(_BLANK),
        sensitive=doc.get("sensitive") is True,
        published=_datetime(doc, "published"),
        updated=_datetime(doc, "updated"),
        url=_link(doc.get("url"), prefer="text/html"),
        to=audience(doc.get("to")),
        cc=audience(doc.get("cc")),
        in_reply_to=object_id(doc.get("inReplyTo")),
        attachments=_attachments(doc.get("attachment")),
        hashtags=_hashtags(doc.get("tag")),
        mentions=_mentions(doc.get("tag")),
        remix_of=object_id(doc.get("remixOf")),
        # The boolean older Dreamfeed sends, else the interaction policy's canRemix.
        can_remix=doc["canRemix"] if isinstance(doc.get("canRemix"), bool)
        else remix_allowed(parse_policy(doc)),
        prompt=_optional_text(doc.get("prompt"), MAX_PROMPT),
        model=_optional_text(doc.get("model"), MAX_MODEL),
        seed=_int(doc.get("seed"), -_INT64, _INT64 - 1),
        generator_name=_generator(doc.get("generator")),
        quote=quote_of(doc),
        quote_authorization=quote_authorization_of(doc),
        can_quote=parse_can_quote(doc),
        interaction_policy=parse_policy(doc),
        reply_authorization=proof_of(doc, REPLY),
    )


# --- small readers ---------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    """A property that may be one value or a list of them.

    Pixelfed's CreateNote.php merges a reply's Mention into the tag list with PHP's
    array_merge, which turns `tag` into one JSON object holding that Mention's keys beside
    the other tags under "0", "1", ...: read both.
    """
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        numbered = [v for k, v in value.items() if k.isdigit() and isinstance(v, dict)]
        return [value, *numbered]
    return [] if value is None else [value]


def _author(value: Any) -> str | None:
    """attributedTo: a URL, an actor object, or a list of them (PeerTube names a Person and a
    Group); the first actor wins."""
    for item in _as_list(value):
        if isinstance(item, dict) and first_type(item) and first_type(item) not in ACTOR_TYPES:
            continue
        found = object_id(item)
        if found:
            return found
    return None


def _content(doc: dict[str, Any]) -> tuple[str, str | None]:
    """(HTML content, language): `content`, else the first `contentMap` entry; the language is
    contentMap's first key, as Mastodon takes it."""
    content = doc.get("content")
    content_map = doc.get("contentMap")
    language: str | None = None
    if isinstance(content_map, dict):
        for key, value in content_map.items():
            if isinstance(key, str) and isinstance(value, str):
                if _LANGUAGE_RE.fullmatch(key) and len(key) <= MAX_LANGUAGE:
                    language = key
                if not isinstance(content, str):
                    content = value
                break
    if content is not None and not isinstance(content, str):
        raise ParseError("note content must be a string")
    # Cleaned here, not in the sanitizer: a lone surrogate makes nh3 (Rust) fail, which
    # would fail the job on every retry.
    return clean_text((content or "")[:MAX_CONTENT]), language


def _plain(value: Any, limit: int) -> str:
    return clean_text(value[:limit]) if isinstance(value, str) else ""


def _optional_text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return clean_text(value.strip()[:limit])


def _int(value: Any, low: int, high: int) -> int | None:
    # bool is an int in Python; `true` is not a number on the wire.
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if low <= value <= high else None


def _datetime(doc: dict[str, Any], key: str) -> datetime | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParseError(f"note {key} must be an ISO 8601 date string")
    try:
        # Python 3.11 reads "Z", offsets and fractions: Mastodon's "2024-01-01T00:00:00Z",
        # Misskey's "...00.000Z", Pixelfed's "...00+00:00".
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ParseError(f"note {key} is not an ISO 8601 date: {value[:40]!r}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _link(value: Any, prefer: str | None = None) -> str | None:
    """A URL from a string, a Link ({href}) or object ({url}), or a list of them; with
    `prefer`, a Link whose mediaType starts with it wins over the first one."""
    candidates: list[tuple[str, str]] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            if remote_uri(item):
                candidates.append((item, ""))
        elif isinstance(item, dict):
            href = item.get("href") if isinstance(item.get("href"), str) else item.get("url")
            media_type = item.get("mediaType")
            media = media_type if isinstance(media_type, str) else ""
            if isinstance(href, str) and remote_uri(href):
                candidates.append((href, media))
            elif isinstance(href, list | dict):
                nested = _link(href, prefer)
                if nested:
                    candidates.append((nested, media))
    if prefer:
        for url, media in candidates:
            if media.startswith(prefer):
                return url
    return candidates[0][0] if candidates else None


def audience(value: Any) -> list[str]:
    """to/cc (of a note or an activity): URLs or objects with ids; the public collection's
    compact spellings become the full IRI so callers compare against one constant."""
    found: list[str] = []
    for item in _as_list(value):
        if isinstance(item, str) and item in PUBLIC_ALIASES:
            found.append(PUBLIC)
        elif (address := object_id(item)) is not None:
            found.append(address)
    return found


def _generator(value: Any) -> str | None:
    """AS2 `generator`: Dreamfeed sends {type: Application, name}; a bare URL names nothing."""
    if isinstance(value, dict):
        return _optional_text(value.get("name"), MAX_NAME)
    return None


# --- attachments -----------------------------------------------------------------------------


def _attachments(value: Any) -> list[ParsedAttachment]:
    found: list[ParsedAttachment] = []
    for item in _as_list(value):
        attachment = _attachment(item)
        if attachment is not None:
            found.append(attachment)
        if len(found) >= MAX_ATTACHMENTS:
            break
    return found


def _attachment(item: Any) -> ParsedAttachment | None:
    """An Image or Document with an image URL; anything else (Mastodon's link-preview `Link`,
    videos, audio) is not a picture Dreamfeed can show."""
    if not isinstance(item, dict) or first_type(item) not in ATTACHMENT_TYPES:
        return None
    media_type = item.get("mediaType")
    media_type = clean_text(media_type.strip().lower()[:64]) \
        if isinstance(media_type, str) else None
    if media_type and not media_type.startswith("image/"):
        return None
    url = _link(item.get("url"), prefer="image/") or _link(item.get("href"))
    if url is None:
        return None
    return ParsedAttachment(
        url=url,
        media_type=media_type or None,
        description=_alt_text(item),
        width=_int(item.get("width"), 1, MAX_DIMENSION),
        height=_int(item.get("height"), 1, MAX_DIMENSION),
        blurhash=_blurhash(item.get("blurhash")),
    )


def _alt_text(item: dict[str, Any]) -> str:
    """`name` is the alt text Mastodon, Pixelfed and Misskey send; GoToSocial documents a move
    to `summary` (HTML), so that is the fallback, reduced to plain text."""
    name = item.get("name")
    if isinstance(name, str) and name.strip():
        return clean_text(name.strip()[:MAX_ALT])
    summary = item.get("summary")
    if isinstance(summary, str) and summary.strip():
        return clean_text(html_to_text(summary)[:MAX_ALT])
    return ""


def _blurhash(value: Any) -> str | None:
    """A blurhash whose length matches its component header, at most 5x5 components."""
    if not isinstance(value, str) or len(value) < 6 or any(c not in _BLURHASH_CHARS
                                                            for c in value):
        return None
    size_flag = _BLURHASH_CHARS.index(value[0])
    x_components, y_components = size_flag % 9 + 1, size_flag // 9 + 1
    if x_components > MAX_BLURHASH_COMPONENTS or y_components > MAX_BLURHASH_COMPONENTS:
        return None
    if len(value) != 4 + 2 * x_components * y_components:
        return None
    return value


# --- tags ------------------------------------------------------------------------------------


def _hashtags(value: Any) -> list[ParsedHashtag]:
    tags: dict[str, ParsedHashtag] = {}
    for item in _as_list(value):
        if not isinstance(item, dict) or first_type(item) != "Hashtag":
            continue
        name = item.get("name")
        if not isinstance(name, str):
            continue
        # Mastodon's HashtagNormalizer: NFKC (full-width letters and number sign become plain ones),
        # then lowercase; the display form stays in the content.
        name = unicodedata.normalize("NFKC", name).strip().lstrip("#").lower()
        if not name or len(name) > MAX_NAME or not _TAG_NAME_RE.fullmatch(name) \
                or name.isdigit():
            continue
        href = item.get("href")
        tags.setdefault(name, ParsedHashtag(name, remote_uri(href)))
        if len(tags) >= MAX_TAGS:
            break
    return list(tags.values())


def _mentions(value: Any) -> list[ParsedMention]:
    mentions: dict[str, ParsedMention] = {}
    for item in _as_list(value):
        if not isinstance(item, dict) or first_type(item) != "Mention":
            continue
        href = object_id(item.get("href"))
        if href is None:
            continue
        name = item.get("name")
        mentions.setdefault(href, ParsedMention(href, clean_text(name[:MAX_NAME])
                                                if isinstance(name, str) else ""))
        if len(mentions) >= MAX_TAGS:
            break
    return list(mentions.values())


# --- HTML to text ----------------------------------------------------------------------------


class _TextCollector(HTMLParser):
    """Text of an HTML fragment, with line breaks where <br> and paragraphs were."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, _attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of a small HTML fragment (alt text sent as HTML, previews)."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    # convert_charrefs has already decoded entities; unescaping again would turn a written
    # "&lt;" into "<".
    return "".join(collector.parts).strip()

"""Plain-text captions -> the small HTML fediverse servers expect (the way out).

Links, #hashtags and @user@host mentions become anchors in Mastodon's markup (so its clients
style them), everything else is escaped, blank lines separate paragraphs. Pure functions: the
caller resolves mentions to actors beforehand and passes them in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html import escape

# As Mastodon's Tag::Naming: after start or whitespace, `#` or the full-width U+FF03, word
# characters and separators, at least one letter (so "#1" is not a tag).
_SEPARATORS = "_\u00b7\u30fb\u200c"
HASHTAG_RE = re.compile(
    rf"(?<!\S)[#\uff03]((?=[\w{_SEPARATORS}]*[^\W\d_])[\w{_SEPARATORS}]+)")
# @user or @user@host (host may carry a port, as test and LAN instances do).
MENTION_RE = re.compile(
    r"(?<![\w/@])@([a-z0-9_]+(?:[a-z0-9_.-]*[a-z0-9_])?)"
    r"(?:@((?:[a-z0-9-]+\.)*[a-z0-9-]+(?::\d{1,5})?))?", re.IGNORECASE)
URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""

TOKEN_RE = re.compile("|".join(f"(?P<{name}>{rx.pattern})" for name, rx in (
    ("url", URL_RE), ("mention", MENTION_RE), ("tag", HASHTAG_RE))), re.IGNORECASE)


@dataclass(frozen=True)
class MentionTarget:
    actor_uri: str
    profile_url: str
    handle: str  # user@host, for the `name` of the Mention tag


@dataclass
class Formatted:
    html: str
    hashtags: list[str] = field(default_factory=list)  # names without '#', first-seen order
    mentions: list[MentionTarget] = field(default_factory=list)


def normalize_tag(name: str) -> str:
    return name.strip(_SEPARATORS).lower()


def find_hashtags(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for match in HASHTAG_RE.finditer(text):
        seen.setdefault(match.group(1).strip(_SEPARATORS), None)
    return [t for t in seen if t]


def find_mentions(text: str, local_domain: str) -> list[str]:
    """Handles mentioned in `text`, as user@host (local ones get our domain)."""
    handles: dict[str, None] = {}
    for match in MENTION_RE.finditer(text):
        user, host = match.group(1), match.group(2) or local_domain
        handles.setdefault(f"{user}@{host}".lower(), None)
    return list(handles)


LINK_REL = 'rel="nofollow noopener noreferrer"'
# Links in a local account's bio and fields carry rel="me" (Mastodon's TextFormatter
# with_rel_me), so a site that links back verifies the account.
REL_ME = 'rel="nofollow noopener noreferrer me"'


_URL_PREFIX = re.compile(r"^(?:https?://(?:www\.)?|xmpp:)", re.IGNORECASE)
SHOWN_LENGTH = 30  # characters of a link shown after its scheme (Mastodon's shortened_link)


def _link(url: str) -> str:
    """Mastodon's TextFormatter.shortened_link: the whole URL is the anchor's text, its
    scheme and tail in invisible spans. A server reading a profile field's link back takes
    it only when the text equals the href (Account::Field#extract_url_from_html), so the
    scheme must be in the text, hidden, not dropped."""
    prefix = _URL_PREFIX.match(url)
    head = prefix.group(0) if prefix else ""
    rest = url[len(head):]
    shown, tail = rest[:SHOWN_LENGTH], rest[SHOWN_LENGTH:]
    if len(tail) == 1:  # an ellipsis for one character would hide nothing
        shown, tail = rest, ""
    return (f'<a href="{escape(url)}" target="_blank" {LINK_REL} translate="no">'
            f'<span class="invisible">{escape(head)}</span>'
            f'<span class="{"ellipsis" if tail else ""}">{escape(shown)}</span>'
            f'<span class="invisible">{escape(tail)}</span></a>')


def with_rel_me(html: str) -> str:
    """Only for HTML format_caption built (escaped text, our own anchors)."""
    return html.replace(LINK_REL, REL_ME)


def bio_html(note: str, *, tag_url: Callable[[str], str], local_domain: str,
             mentions: Mapping[str, MentionTarget]) -> str:
    """A local account's bio as Mastodon renders it (account_bio_format): paragraphs, links
    (rel="me"), hashtags, and mentions of the accounts in `mentions` (the rest stay text)."""
    if not note.strip():
        return ""
    return with_rel_me(format_caption(note, tag_url=tag_url, local_domain=local_domain,
                                      mentions=mentions).html)


def field_html(value: str, *, tag_url: Callable[[str], str], local_domain: str) -> str:
    """A local profile field's value as one line of HTML: links (rel="me") and hashtags."""
    html = format_caption(value, tag_url=tag_url, local_domain=local_domain, mentions={}).html
    # One line: the paragraphs format_caption makes are joined.
    html = re.sub(r"^<p>|</p>$", "", html).replace("</p><p>", " ")
    return with_rel_me(html)


def format_caption(text: str, *, tag_url: Callable[[str], str], local_domain: str,
                   mentions: Mapping[str, MentionTarget]) -> Formatted:
    """`mentions`: user@host (lowercase) -> target, for the mentions that resolved; the rest
    stay plain text."""
    result = Formatted(html="")
    tags: dict[str, None] = {}
    used: dict[str, MentionTarget] = {}
    paragraphs = [p for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()) if p]
    rendered: list[str] = []
    for paragraph in paragraphs:
        out: list[str] = []
        pos = 0
        for match in TOKEN_RE.finditer(paragraph):
            out.append(escape(paragraph[pos:match.start()]))
            out.append(_token(match, tag_url, local_domain, mentions, tags, used))
            pos = match.end()
        out.append(escape(paragraph[pos:]))
        rendered.append("<p>" + "".join(out).replace("\n", "<br>") + "</p>")
    result.html = "".join(rendered)
    result.hashtags = list(tags)
    result.mentions = list(used.values())
    return result


def _token(match: re.Match[str], tag_url: Callable[[str], str], local_domain: str,
           mentions: Mapping[str, MentionTarget], tags: dict[str, None],
           used: dict[str, MentionTarget]) -> str:
    raw = match.group(0)
    if match.group("url"):
        url = raw.rstrip(_TRAILING)
        return _link(url) + escape(raw[len(url):])
    if match.group("mention"):
        user = match.group(3)
        host = match.group(4) or local_domain
        target = mentions.get(f"{user}@{host}".lower())
        if target is None:
            return escape(raw)
        used[target.actor_uri] = target
        return (f'<span class="h-card" translate="no"><a href="{escape(target.profile_url)}" '
                f'class="u-url mention">@<span>{escape(user)}</span></a></span>')
    name = match.group(6).strip(_SEPARATORS)
    tags.setdefault(name, None)
    return (f'<a href="{escape(tag_url(normalize_tag(name)))}" class="mention hashtag" '
            f'rel="tag">#<span>{escape(name)}</span></a>'
            + escape(match.group(6)[len(name):]))

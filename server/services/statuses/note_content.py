"""Readable text for post types Dreamfeed does not render natively, as Mastodon shows them:
a `Question` as its text followed by its options (with vote counts), an `Article` or `Page`
by its title, summary and a link to the original. Pure: the HTML made here is sanitized
with every other remote content when the post is stored."""

from __future__ import annotations

import dataclasses
from html import escape
from typing import Any

from activitypub.parse_note import ParsedNote

MAX_OPTIONS = 32
MAX_OPTION = 255
MAX_TITLE = 255


def readable(note: ParsedNote, doc: dict[str, Any]) -> ParsedNote:
    """The note with content (and, for articles, the summary) made readable as text."""
    if note.type == "Question":
        return dataclasses.replace(note, content=note.content + _options(doc))
    if note.type in ("Article", "Page"):
        return dataclasses.replace(note, content=_article(note, doc), summary="")
    return note


def _options(doc: dict[str, Any]) -> str:
    """An ordered list of the poll's options (oneOf: pick one; anyOf: pick several)."""
    items = doc.get("oneOf") if isinstance(doc.get("oneOf"), list) else doc.get("anyOf")
    lines: list[str] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        name = item["name"].strip()[:MAX_OPTION]
        replies = item.get("replies")
        total = replies.get("totalItems") if isinstance(replies, dict) else None
        votes = total if isinstance(total, int) and not isinstance(total, bool) \
            and total >= 0 else 0
        lines.append(f"<li>{escape(name)} ({votes} vote{'' if votes == 1 else 's'})</li>")
        if len(lines) >= MAX_OPTIONS:
            break
    return f"<ol>{''.join(lines)}</ol>" if lines else ""


def _article(note: ParsedNote, doc: dict[str, Any]) -> str:
    """Title as a heading, the summary (an abstract here, not a content warning), a link."""
    name = doc.get("name")
    title = name.strip()[:MAX_TITLE] if isinstance(name, str) else ""
    parts = [f"<p><strong>{escape(title)}</strong></p>"] if title else []
    if note.summary:
        parts.append(f"<p>{escape(note.summary)}</p>")
    link = note.url or note.id
    parts.append(f'<p><a href="{escape(link, quote=True)}">{escape(link)}</a></p>')
    return "".join(parts)

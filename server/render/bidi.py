"""Keeping someone else's right-to-left text inside its own name.

A display name or handle shown beside other text shares that text's line: a right-to-left
override (U+202E) or an unclosed embedding in a name would reverse whatever follows it (the
handle, "boosted", the instance name in a title). Wrapping each name in FIRST STRONG ISOLATE
... POP DIRECTIONAL ISOLATE confines it (Unicode Bidirectional Algorithm, rules X5c-X6a): an
isolate ends every embedding and override opened inside it. It works the same in page text,
attributes, <title>, meta tags and feeds, where markup cannot go (`isolate`). In page text
`bdi` wraps the name in <bdi> instead, which isolates the same way but adds no invisible
characters to what a reader copies (a handle pasted into a search box must still match).
"""

from __future__ import annotations

from markupsafe import Markup, escape

FSI = "\u2068"  # FIRST STRONG ISOLATE: direction taken from the name itself
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE
_INITIATORS = frozenset("\u2066\u2067\u2068")  # LRI, RLI, FSI


def isolate(text: object) -> str:
    """`text` wrapped in FSI ... PDI, for plain-text contexts."""
    value = _without_stray_pops(text)
    return FSI + value + PDI if value else value


def bdi(text: object) -> Markup:
    """`text` escaped inside <bdi>, for page text."""
    value = _without_stray_pops(text)
    return Markup("<bdi>%s</bdi>") % escape(value) if value else Markup("")


def _without_stray_pops(text: object) -> str:
    """`text` minus any PDI that has no initiator inside it: that one would close the
    isolate around the name early (browsers isolate <bdi> with these same controls) and let
    the rest of the name out."""
    value = "" if text is None else str(text)
    kept: list[str] = []
    depth = 0
    for char in value:
        if char in _INITIATORS:
            depth += 1
        elif char == PDI:
            if depth == 0:
                continue
            depth -= 1
        kept.append(char)
    return "".join(kept)

"""Decoding JSON that another server (or anyone) sent: bounded nesting, UTF-8 only.

Python's json module recurses once per `[` or `{`: a body of 100,000 `[` raises
RecursionError, which escapes `except ValueError` and becomes a 500 with a traceback, and a
document a little less deep parses but breaks whatever walks it next (json.dumps when it is
stored, the parsers). So the depth is measured first, without recursion, and a deeper
document is refused as malformed. Real ActivityPub documents are nested a dozen levels at
most (activity -> object -> attachment -> url -> ...; JSON-LD contexts add three).
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64

# A JSON string, escapes included (the unrolled form is linear: no backtracking).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# Everything but brackets is dropped from the skeleton; braces count as brackets.
_BRACES = str.maketrans("{}", "[]")
_NOT_BRACKET = re.compile(r"[^\[\]]+")


class JSONInputError(ValueError):
    """Not JSON, not UTF-8, or nested deeper than allowed."""


def nesting_depth_ok(text: str, max_depth: int = MAX_DEPTH) -> bool:
    """True when no array or object in `text` is nested deeper than `max_depth`.

    Each pass removes the innermost (empty) bracket pairs of the skeleton, one level, at
    C speed; a balanced skeleton within bounds is empty after `max_depth` passes. A pass
    that removes nothing means unbalanced brackets: not JSON either.
    """
    skeleton = _NOT_BRACKET.sub("", _STRING.sub("", text).translate(_BRACES))
    for _ in range(max_depth):
        if not skeleton:
            return True
        reduced = skeleton.replace("[]", "")
        if len(reduced) == len(skeleton):
            return False
        skeleton = reduced
    return not skeleton


def loads(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """Decode untrusted JSON; raises JSONInputError (a ValueError) on anything wrong."""
    if isinstance(data, bytes):
        try:
            # RFC 8259 section 8.1: JSON between systems is UTF-8; a BOM may be ignored.
            text = data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise JSONInputError(f"not UTF-8: {exc}") from None
    else:
        text = data
    if not nesting_depth_ok(text, max_depth):
        raise JSONInputError(f"unbalanced, or nested deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise JSONInputError(str(exc)) from None

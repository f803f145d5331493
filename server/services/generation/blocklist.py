"""The local prompt blocklist: `[moderation] blocked_terms` plus the terms of
`blocked_terms_file` (one per line, `#` starts a comment line), matched as whole words or
phrases, case-insensitively, after normalizing both sides:

- Unicode NFKC folds compatibility forms (full-width letters, ligatures, superscripts);
- casefold() is the aggressive lower case ("STRASSE" matches "straße");
- invisible format characters (zero-width spaces and joiners, soft hyphens) are dropped, so
  "go<U+200B>re" is "gore";
- runs of whitespace in a phrase match any whitespace run.

The file is re-read only when its modification time or size changes, so an operator can edit
it without a restart.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass


class BlocklistUnavailable(Exception):
    """The configured terms file cannot be read."""


def normalize(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")


@dataclass(frozen=True)
class Blocklist:
    terms: tuple[str, ...]  # as configured, for messages
    pattern: re.Pattern[str] | None

    def match(self, prompt: str) -> str | None:
        """The configured term the prompt contains, if any."""
        if self.pattern is None:
            return None
        found = self.pattern.search(normalize(prompt))
        if found is None:
            return None
        assert found.lastindex is not None
        return self.terms[found.lastindex - 1]


def compile_blocklist(terms: Sequence[str]) -> Blocklist:
    """One regex: a group per term, so the match says which term it was."""
    kept: list[str] = []
    groups: list[str] = []
    for term in terms:
        words = normalize(term).split()
        if not words or term in kept:
            continue
        kept.append(term)
        # Whole words: no word character may touch either end of the phrase.
        groups.append(r"(?<!\w)(" + r"\s+".join(re.escape(w) for w in words) + r")(?!\w)")
    if not groups:
        return Blocklist((), None)
    return Blocklist(tuple(kept), re.compile("|".join(groups)))


def read_terms_file(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BlocklistUnavailable(f"moderation.blocked_terms_file {path!r} cannot be read: "
                                   f"{exc}") from None
    return [line.strip() for line in lines
            if line.strip() and not line.lstrip().startswith("#")]


class BlocklistCache:
    """The compiled blocklist for one configuration, rebuilt when the file changes."""

    def __init__(self) -> None:
        self._key: tuple[object, ...] | None = None
        self._blocklist = Blocklist((), None)

    def get(self, terms: Sequence[str], path: str) -> Blocklist:
        stamp: tuple[int, int] | None = None
        if path:
            try:
                info = os.stat(path)
            except OSError as exc:
                raise BlocklistUnavailable(f"moderation.blocked_terms_file {path!r} cannot "
                                           f"be read: {exc.strerror}") from None
            stamp = (info.st_mtime_ns, info.st_size)
        key = (tuple(terms), path, stamp)
        if key != self._key:
            all_terms = list(terms) + (read_terms_file(path) if path else [])
            self._blocklist = compile_blocklist(all_terms)
            self._key = key
        return self._blocklist

"""The interface's languages: the catalogues (server/locale/<lang>/LC_MESSAGES/messages.po),
which one a request gets, and the gettext functions templates and handlers call (the one
importer of Babel).

The language is per request, kept in a ContextVar: aiohttp runs each request in its own task,
so a value set by the language middleware is seen by everything that request renders (its
templates, the macros they import, the messages handlers write) and by no other request. The
Jinja environment is shared, so its gettext callables are installed once and read the
ContextVar, never swapped per request.

Catalogues are compiled from their .po files when first used (Babel's own compiler, in
memory): a clean checkout runs without a build step, and no binary .mo files are committed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale, negotiate_locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_time, get_datetime_format
from babel.lists import format_list as babel_format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
# The messages in the code are English: it needs no catalogue.
SOURCE_LANGUAGE = "en"
# The languages offered, each named in itself (the picker shows these names). Every one but
# English has a catalogue under LOCALE_DIR.
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français", "ar": "العربية"}

_current: ContextVar[str] = ContextVar("interface_language", default=SOURCE_LANGUAGE)
# One language tag of an Accept-Language header, with its optional weight.
_RANGE = re.compile(r"\s*([A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*|\*)\s*"
                    r"(?:;\s*q\s*=\s*([0-9.]+))?\s*")


def supported(language: str | None) -> str | None:
    """`language` when it is offered here (case-insensitive), else None."""
    if not language:
        return None
    tag = language.strip().lower()
    return tag if tag in LANGUAGES else None


def accepted(header: str) -> list[str]:
    """An Accept-Language header's tags, most wanted first (q=0 and `*` left out; equal
    weights keep the header's order)."""
    ranges: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:32]):
        match = _RANGE.fullmatch(part)
        if match is None or match.group(1) == "*":
            continue
        try:
            weight = float(match.group(2)) if match.group(2) is not None else 1.0
        except ValueError:
            continue
        if weight > 0:
            ranges.append((-weight, index, match.group(1).replace("_", "-").lower()))
    return [tag for _, _, tag in sorted(ranges)]


def negotiate(*, chosen: str | None, cookie: str | None, accept_language: str,
              default: str) -> str:
    """The language of a request: the account's choice, else the visitor's cookie, else the
    best of the browser's languages that is offered (fr-CA gets fr), else the instance's."""
    for explicit in (chosen, cookie):
        language = supported(explicit)
        if language is not None:
            return language
    best = negotiate_locale(accepted(accept_language), list(LANGUAGES), sep="-")
    return supported(best) or supported(default) or SOURCE_LANGUAGE


@functools.cache
def translations(language: str) -> NullTranslations:
    """The compiled catalogue of `language` (fuzzy entries left out, as msgfmt does)."""
    if language == SOURCE_LANGUAGE or language not in LANGUAGES:
        return NullTranslations()
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain="messages")


def preload() -> None:
    """Compile every catalogue now (at start), not during some visitor's first request."""
    for language in LANGUAGES:
        translations(language)


def current() -> str:
    return _current.get()


def activate(language: str) -> Token[str]:
    """Make `language` the current one (for this task and what it starts)."""
    return _current.set(language)


def deactivate(token: Token[str]) -> None:
    _current.reset(token)


@contextmanager
def using(language: str) -> Iterator[None]:
    token = activate(language)
    try:
        yield
    finally:
        deactivate(token)


def direction(language: str | None = None) -> str:
    """"rtl" or "ltr", for <html dir>."""
    locale = Locale.parse(language or current())
    return "rtl" if locale.character_order == "right-to-left" else "ltr"


def gettext(message: str, **variables: Any) -> str:
    """`message` in the current language, with %(name)s placeholders filled from
    `variables` (as Jinja's newstyle gettext). An empty message stays empty (gettext would
    answer the catalogue's header)."""
    text = translations(current()).gettext(message) if message else message
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    """The form for `n`; `%(num)s` is `n`, formatted for the current language."""
    text = translations(current()).ngettext(singular, plural, n)
    return text % {"num": format_number(n), **variables}


def jinja_gettext(message: str) -> str:
    """For Jinja's newstyle callables: Jinja fills the placeholders itself."""
    return translations(current()).gettext(message) if message else message


def jinja_ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for extraction without translating it here: service errors and
    module-level texts are translated where a page shows them (server.handlers)."""
    return message


def format_list(items: list[str]) -> str:
    """"a, b and c" as the current language joins a list ("a, b et c")."""
    return babel_format_list(items, locale=current())


def format_number(number: int | float) -> str:
    return format_decimal(number, locale=current())


def format_date(moment: datetime, style: str = "medium") -> str:
    """A date as the current language writes it ("7 déc. 2026", "Dec 7, 2026")."""
    return babel_format_date(moment, style, locale=current())


def format_datetime(moment: datetime) -> str:
    """A date and time (UTC, as stored) as the current language writes it: the date as
    format_date, hours and minutes without seconds ("Dec 7, 2026, 9:30 AM", "7 déc. 2026,
    09:30"), joined as the language joins them."""
    locale = current()
    return str(get_datetime_format("medium", locale=locale)).replace(
        "{1}", babel_format_date(moment, "medium", locale=locale)).replace(
        "{0}", format_time(moment, "short", tzinfo=UTC, locale=locale))

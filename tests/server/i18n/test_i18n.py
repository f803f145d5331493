"""server.i18n: which language a request gets (the account's choice, the visitor's cookie,
the browser's Accept-Language, the instance's default, in that order), the catalogues, and
that the French one stays complete: every message extracted from the code and templates
(babel.cfg) is translated there, none fuzzy. When this fails after adding strings: run
`make messages` and translate the empty entries of server/locale/fr/LC_MESSAGES/messages.po."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from server import i18n

ROOT = Path(__file__).resolve().parents[3]


def test_accept_language_is_read_by_weight() -> None:
    assert i18n.accepted("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5") == [
        "fr-ch", "fr", "en", "de"]
    assert i18n.accepted("en;q=0.2, ar") == ["ar", "en"]
    assert i18n.accepted("de;q=0, pt_BR, ;;, x y") == ["pt-br"]
    assert i18n.accepted("") == []


@pytest.mark.parametrize(("chosen", "cookie", "header", "default", "expected"), [
    # The browser's, the first offered one by weight; a region falls back to its language.
    (None, None, "fr-CA,fr;q=0.9,en;q=0.8", "en", "fr"),
    (None, None, "de-DE,de;q=0.9,ar;q=0.5", "en", "ar"),
    (None, None, "EN-gb", "fr", "en"),
    # Nothing offered: the instance's default.
    (None, None, "de, ja;q=0.5", "fr", "fr"),
    (None, None, "", "ar", "ar"),
    # The visitor's cookie beats the browser; the account's choice beats both.
    (None, "ar", "fr", "en", "ar"),
    ("fr", "ar", "en", "en", "fr"),
    # Junk or languages not offered are ignored, at every step.
    ("xx", "../../etc", "fr", "en", "fr"),
    (None, None, "de", "zz", "en"),
])
def test_negotiation(chosen: str | None, cookie: str | None, header: str, default: str,
                     expected: str) -> None:
    assert i18n.negotiate(chosen=chosen, cookie=cookie, accept_language=header,
                          default=default) == expected


def test_direction_and_formats_follow_the_current_language() -> None:
    moment = datetime(2026, 12, 7, 9, 30)
    assert i18n.direction("ar") == "rtl"
    assert i18n.direction("fr") == "ltr"
    with i18n.using("fr"):
        assert i18n.gettext("Home") == "Accueil"
        assert i18n.gettext("Who may %(action)s", action="citer") == "Qui peut citer"
        assert i18n.ngettext("%(num)s image", "%(num)s images", 2) == "2 images"
        assert i18n.format_date(moment) == "7 déc. 2026"
        assert i18n.format_datetime(moment) == "7 déc. 2026, 09:30"
        assert i18n.format_number(12345) == "12\u202f345"
    with i18n.using("ar"):
        assert i18n.gettext("Home") == "الرئيسية"
    assert i18n.gettext("Home") == "Home"
    assert i18n.format_date(moment) == "Dec 7, 2026"
    assert i18n.format_datetime(moment) == "Dec 7, 2026, 9:30\u202fAM"


async def test_the_language_is_per_task() -> None:
    """Two requests rendering at once each see their own language (a ContextVar, not a
    global swapped per request)."""
    seen: dict[str, str] = {}

    async def request(language: str) -> None:
        i18n.activate(language)
        await asyncio.sleep(0)
        seen[language] = i18n.gettext("Settings")

    await asyncio.gather(request("fr"), request("ar"), request("en"))
    assert seen == {"fr": "Paramètres", "ar": "الإعدادات", "en": "Settings"}
    assert i18n.current() == "en"


def _extracted() -> set[str | tuple[str, ...]]:
    method_map, options_map = parse_mapping_cfg((ROOT / "babel.cfg").open())
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / "server", method_map, options_map):
        # ngettext's: (singular, plural, None for the count, which is no literal).
        found.add(message if isinstance(message, str) else tuple(m for m in message if m))
    return found


def test_french_is_complete() -> None:
    with (i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="fr")
    translated = set()
    problems = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else tuple(message.id)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(f"untranslated or fuzzy: {key!r}")
        else:
            translated.add(key)
    problems += [f"not in the catalogue (run make messages): {key!r}"
                 for key in sorted(_extracted() - translated, key=str)]
    assert not problems, "\n".join(problems[:40])


def test_every_catalogue_compiles_and_keeps_its_placeholders() -> None:
    """A translation that drops or renames a %(name)s placeholder would fail at render."""
    for language in i18n.LANGUAGES:
        if language == i18n.SOURCE_LANGUAGE:
            continue
        assert i18n.translations(language).gettext("Home") != "Home", language
        with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
            catalog = read_po(po, locale=language)
        for message in catalog:
            if not message.id or not message.string or message.fuzzy:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) \
                else (message.string,)
            wanted = {name for text in ids for name in _placeholders(text)}
            for text in strings:
                if text:
                    assert _placeholders(text) <= wanted, (language, message.id, text)
                    assert _placeholders(text) >= _placeholders(ids[0]) - {"num"}, \
                        (language, message.id, text)


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)[sd]", text))


def test_an_empty_message_stays_empty() -> None:
    """gettext("") is a catalogue's header; a label left empty must not show it."""
    with i18n.using("fr"):
        assert i18n.gettext("") == ""
        assert i18n.jinja_gettext("") == ""

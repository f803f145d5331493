"""Per-user phrase filters, with Mastodon's semantics (app/models/custom_filter.rb,
custom_filter_keyword.rb, FilterResultPresenter):

- A phrase matches case-insensitively against the post's searchable text: its content
  warning, its text (HTML stripped) and its image descriptions (Status#searchable_text). Here
  the post's hashtags are added as `#name`, so `#AIGenerated` matches every Dreamfeed post
  even where the tag is not written in the text.
- whole_word puts a word boundary at each end of the phrase that is a word character
  (`#tag` gets one only at its end, as in Mastodon's keyword regex); otherwise a substring.
- A filter applies in the contexts it names: home, notifications, public (local, federated
  and hashtag timelines), thread, account (profiles).
- "hide" removes the post from what is returned; "warn" keeps it and says which filters
  matched, so the reader can show it behind a warning.
- An expired filter stops applying.

The matcher (`judge`) is pure; `screen` and `screen_notifications` apply a viewer's filters
to loaded timeline entries and notifications.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.render.sanitize import plain_text
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound
from server.services.social.blocks import local_person
from server.services.streaming.events import StreamEvent
from server.services.streaming.publish import queue_event
from storage import filters as filter_queries
from storage.models import Filter, Status
from storage.notification_lists import NotificationEntry
from storage.timelines import Entry
from storage.types import utcnow

CONTEXTS = ("home", "notifications", "public", "thread", "account")
ACTIONS = ("hide", "warn")
MAX_PHRASE = 255
MAX_FILTERS = 300
MAX_EXPIRY = 366 * 24 * 3600


# --- the pure matcher ------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    id: int
    phrase: str
    whole_word: bool
    contexts: frozenset[str]
    action: str  # hide | warn


@dataclass(frozen=True)
class Subject:
    """What a post offers to be matched."""

    text: str  # the post's text, HTML stripped
    spoiler_text: str = ""
    descriptions: tuple[str, ...] = ()  # image alt texts
    tags: tuple[str, ...] = ()  # hashtag names, without '#'


@dataclass(frozen=True)
class Verdict:
    hidden: bool
    warnings: tuple[str, ...]  # the phrases of the warn filters that matched


def searchable_text(subject: Subject) -> str:
    tags = " ".join(f"#{tag}" for tag in subject.tags)
    parts = (subject.spoiler_text, subject.text, *subject.descriptions, tags)
    return "\n\n".join(part for part in parts if part)


@lru_cache(maxsize=1024)
def pattern(phrase: str, whole_word: bool) -> re.Pattern[str]:
    """Mastodon's CustomFilterKeyword#to_regex: boundaries only at word-character ends."""
    body = re.escape(phrase)
    if whole_word:
        start = r"\b" if re.match(r"\w", phrase) else ""
        end = r"\b" if re.search(r"\w\Z", phrase) else ""
        body = f"{start}{body}{end}"
    return re.compile(body, re.IGNORECASE)


def matches(rule: Rule, text: str) -> bool:
    return pattern(rule.phrase, rule.whole_word).search(text) is not None


def judge(rules: Iterable[Rule], subject: Subject, context: str) -> Verdict:
    """Which of these rules, in this context, hide the post or warn about it."""
    text = searchable_text(subject)
    hidden = False
    warnings: list[str] = []
    for rule in rules:
        if context not in rule.contexts or not matches(rule, text):
            continue
        if rule.action == "hide":
            hidden = True
        elif rule.phrase not in warnings:
            warnings.append(rule.phrase)
    return Verdict(hidden, tuple(warnings))


# --- managing filters ------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterView:
    id: int
    phrase: str
    whole_word: bool
    contexts: tuple[str, ...]
    action: str
    expires_at: datetime | None
    expired: bool


def _view(row: Filter, now: datetime) -> FilterView:
    return FilterView(row.id, row.phrase, row.whole_word, tuple(row.contexts), row.action,
                      row.expires_at, row.expires_at is not None and row.expires_at <= now)


def _checked(phrase: str, contexts: Sequence[str], action: str,
             expires_in: int | None) -> tuple[str, list[str]]:
    phrase = phrase.strip()
    if not phrase or phrase == "#":
        raise InvalidInput(N_("a filter needs a phrase"))
    if len(phrase) > MAX_PHRASE:
        raise InvalidInput(N_("a filter phrase is at most %(limit)s characters"),
                           limit=MAX_PHRASE)
    unknown = [c for c in contexts if c not in CONTEXTS]
    if unknown:
        raise InvalidInput(N_("filter contexts are one or more of %(contexts)s, not %(unknown)s"),
                           contexts=", ".join(CONTEXTS), unknown=", ".join(unknown))
    if not contexts:
        raise InvalidInput(N_("filter contexts are one or more of %(contexts)s"),
                           contexts=", ".join(CONTEXTS))
    if action not in ACTIONS:
        raise InvalidInput(N_("a filter's action is %(actions)s, not %(action)r"),
                           actions=" or ".join(ACTIONS), action=action)
    if expires_in is not None and not 0 < expires_in <= MAX_EXPIRY:
        raise InvalidInput(N_("a filter expires in 1 to %(limit)s seconds"), limit=MAX_EXPIRY)
    return phrase, [c for c in CONTEXTS if c in contexts]


async def add_filter(services: Services, username: str, phrase: str, *,
                     contexts: Sequence[str] = CONTEXTS, action: str = "hide",
                     whole_word: bool = True, expires_in: int | None = None) -> FilterView:
    phrase, kept = _checked(phrase, contexts, action, expires_in)
    now = utcnow()
    async with services.db.writer.begin() as session:
        account = await local_person(session, username)
        if len(await filter_queries.filters_of(session, account.id)) >= MAX_FILTERS:
            raise InvalidInput(N_("at most %(limit)s filters per account"), limit=MAX_FILTERS)
        row = await filter_queries.add(session, Filter(
            account_id=account.id, phrase=phrase, whole_word=whole_word, contexts=kept,
            action=action,
            expires_at=now + timedelta(seconds=expires_in) if expires_in else None))
        queue_event(session, StreamEvent("filters_changed", account_id=account.id))
        return _view(row, now)


@dataclass(frozen=True)
class FilterChange:
    """What an edit changes; None leaves a part as it is. `expires_in` applies only when
    `set_expiry` (None then: never expires), as a client sends `expires_in=""` for "never"."""

    phrase: str | None = None
    whole_word: bool | None = None
    contexts: Sequence[str] | None = None
    action: str | None = None
    set_expiry: bool = False
    expires_in: int | None = None


async def update_filter(services: Services, username: str, filter_id: int,
                        change: FilterChange) -> FilterView:
    """Edit one of the user's filters (the client API's PUT); the whole result is checked
    as a new filter is."""
    now = utcnow()
    async with services.db.writer.begin() as session:
        account = await local_person(session, username)
        row = await filter_queries.filter_of(session, account.id, filter_id)
        if row is None:
            raise NotFound(N_("%(username)s has no filter %(id)s"), username=username, id=filter_id)
        phrase, kept = _checked(
            row.phrase if change.phrase is None else change.phrase,
            tuple(row.contexts) if change.contexts is None else change.contexts,
            row.action if change.action is None else change.action,
            change.expires_in if change.set_expiry else None)
        row.phrase, row.contexts = phrase, kept
        if change.action is not None:
            row.action = change.action
        if change.whole_word is not None:
            row.whole_word = change.whole_word
        if change.set_expiry:
            row.expires_at = now + timedelta(seconds=change.expires_in) \
                if change.expires_in else None
        await session.flush()
        queue_event(session, StreamEvent("filters_changed", account_id=account.id))
        return _view(row, now)


async def get_filter(services: Services, username: str, filter_id: int) -> FilterView:
    now = utcnow()
    async with services.db.reader() as session:
        account = await local_person(session, username)
        row = await filter_queries.filter_of(session, account.id, filter_id)
        if row is None:
            raise NotFound(N_("%(username)s has no filter %(id)s"), username=username, id=filter_id)
        return _view(row, now)


async def list_filters(services: Services, username: str) -> list[FilterView]:
    """Every filter of the account, expired ones marked."""
    now = utcnow()
    async with services.db.reader() as session:
        account = await local_person(session, username)
        return [_view(row, now) for row in await filter_queries.filters_of(session, account.id)]


async def remove_filter(services: Services, username: str, filter_id: int) -> None:
    async with services.db.writer.begin() as session:
        account = await local_person(session, username)
        if not await filter_queries.delete_filter(session, account.id, filter_id):
            raise NotFound(N_("%(username)s has no filter %(id)s"), username=username, id=filter_id)
        queue_event(session, StreamEvent("filters_changed", account_id=account.id))


# --- applying them ---------------------------------------------------------------------------


async def rules_for(session: AsyncSession, account_id: int, context: str) -> list[Rule]:
    """The account's unexpired filters that apply in `context`."""
    rows = await filter_queries.active_filters(session, account_id, utcnow())
    return [Rule(row.id, row.phrase, row.whole_word, frozenset(row.contexts), row.action)
            for row in rows if context in row.contexts]


async def _subjects(session: AsyncSession,
                    statuses: Sequence[Status]) -> dict[int, Subject]:
    ids = [status.id for status in statuses]
    tags = await filter_queries.tags_of(session, ids)
    descriptions = await filter_queries.descriptions_of(session, ids)
    return {status.id: Subject(plain_text(status.content), status.spoiler_text,
                               tuple(descriptions.get(status.id, ())),
                               tuple(tags.get(status.id, ()))) for status in statuses}


async def _verdicts(session: AsyncSession, viewer_id: int, statuses: Sequence[Status],
                    context: str) -> dict[int, Verdict]:
    rules = await rules_for(session, viewer_id, context)
    if not rules or not statuses:
        return {}
    subjects = await _subjects(session, statuses)
    return {status_id: judge(rules, subject, context)
            for status_id, subject in subjects.items()}


async def screen(session: AsyncSession, viewer_id: int, entries: Sequence[Entry],
                 context: str, *, keep: Iterable[int] = ()
                 ) -> tuple[list[Entry], dict[int, tuple[str, ...]]]:
    """The entries without those a hide filter matches (the post shown is matched: the
    boosted one for a boost), and the warn filters' phrases by shown post id. Posts in
    `keep` are never hidden (the post a thread is opened on), only warned about."""
    verdicts = await _verdicts(session, viewer_id, [e.status for e in entries], context)
    kept_ids = set(keep)
    shown = [e for e in entries if e.status.id in kept_ids
             or not verdicts.get(e.status.id, Verdict(False, ())).hidden]
    warnings = {status_id: v.warnings for status_id, v in verdicts.items() if v.warnings}
    return shown, warnings


async def screen_notifications(session: AsyncSession, account_id: int,
                               rows: Sequence[NotificationEntry]
                               ) -> tuple[list[NotificationEntry], dict[int, tuple[str, ...]]]:
    """Notifications without those about a post a hide filter matches, and the warn
    filters' phrases by notification id."""
    verdicts = await _verdicts(session, account_id,
                               [row.status for row in rows if row.status is not None],
                               "notifications")
    shown: list[NotificationEntry] = []
    warnings: dict[int, tuple[str, ...]] = {}
    for row in rows:
        verdict = verdicts.get(row.status.id) if row.status is not None else None
        if verdict is not None and verdict.hidden:
            continue
        shown.append(row)
        if verdict is not None and verdict.warnings:
            warnings[row.notification.id] = verdict.warnings
    return shown, warnings

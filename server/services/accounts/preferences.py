"""A user's preferences: the posting defaults (visibility, marking images sensitive, and the
language, kept by posting_language) and how pages show things (media marked sensitive
blurred, always shown, or all media blurred; reduced motion). Set on the web settings page
and, for the posting defaults, through update_credentials' `source[...]`; read back by the
compose page, the feeds, /api/v1/preferences and verify_credentials' `source`, with
Mastodon's names and values (app/models/user_settings.rb, REST::PreferencesSerializer)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.services.accounts import posting_language
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound
from server.services.statuses.posts import VISIBILITIES
from storage import accounts as account_queries
from storage.models import User

# Mastodon's reading:expand:media: blur what is marked sensitive, show everything, blur
# everything.
EXPAND_MEDIA = ("default", "show_all", "hide_all")
# What a user may choose as the default: a direct message is never a default (Mastodon's
# settings offer public, unlisted and private only).
DEFAULT_VISIBILITIES = tuple(v for v in VISIBILITIES if v != "direct")


@dataclass(frozen=True)
class Preferences:
    visibility: str
    sensitive: bool
    language: str | None  # None: the instance's default applies
    expand_media: str
    reduce_motion: bool


def of_user(user: User) -> Preferences:
    """A user row's preferences; anything unknown stored falls back to Mastodon's default."""
    visibility = user.default_visibility if user.default_visibility in DEFAULT_VISIBILITIES \
        else "public"
    expand = user.expand_media if user.expand_media in EXPAND_MEDIA else "default"
    return Preferences(visibility=visibility, sensitive=bool(user.default_sensitive),
                       language=posting_language.valid_language(user.default_language),
                       expand_media=expand, reduce_motion=bool(user.reduce_motion))


async def _user(session: AsyncSession, account_id: int) -> User:
    user = await account_queries.user_by_account_id(session, account_id)
    if user is None:
        raise NotFound(N_("there is no such account"))
    return user


async def load(session: AsyncSession, account_id: int) -> Preferences:
    return of_user(await _user(session, account_id))


async def preferences(services: Services, account_id: int) -> Preferences:
    async with services.db.reader() as session:
        return await load(session, account_id)


def check_visibility(raw: str) -> str:
    if raw not in DEFAULT_VISIBILITIES:
        raise InvalidInput(N_("the default visibility is one of %(visibilities)s"),
                           visibilities=", ".join(DEFAULT_VISIBILITIES))
    return raw


@dataclass(frozen=True)
class PreferencesChange:
    """What a save changes (None: keep). `language` "" clears the default language."""

    visibility: str | None = None
    sensitive: bool | None = None
    language: str | None = None
    expand_media: str | None = None
    reduce_motion: bool | None = None


async def save(services: Services, account_id: int, change: PreferencesChange) -> Preferences:
    """Every part checked before anything is written: a refusal changes nothing."""
    if change.visibility is not None:
        check_visibility(change.visibility)
    if change.expand_media is not None and change.expand_media not in EXPAND_MEDIA:
        raise InvalidInput(N_("choose how sensitive media is shown from the list"))
    language = posting_language.check(change.language) if change.language is not None \
        else None
    async with services.db.writer.begin() as session:
        user = await _user(session, account_id)
        if change.visibility is not None:
            user.default_visibility = change.visibility
        if change.sensitive is not None:
            user.default_sensitive = change.sensitive
        if change.language is not None:
            user.default_language = language
        if change.expand_media is not None:
            user.expand_media = change.expand_media
        if change.reduce_motion is not None:
            user.reduce_motion = change.reduce_motion
        return of_user(user)

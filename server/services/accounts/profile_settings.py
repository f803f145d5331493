"""A local user's own profile: display name, bio, avatar and header.

Avatars and headers are made by us: an upload (or an image the user generated) is decoded by
the media pipeline, cropped to 1:1 (avatar, 400 px) or 3:1 (header, 1500x500) and written as
one JPEG under `profiles/{account_id}/`; the key is kept in the account's
`avatar_cached_key` / `header_cached_key` (so deleting the account removes the files) and the
public URL in `avatar_url` / `header_url`, which the actor document publishes as `icon` and
`image`. A changed profile reaches followers' servers as an Update of the actor.
(Changing the password is server.services.accounts.web_sessions.change_password.)
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.images.pipeline import Limits, MediaError, process_profile_image
from server.images.provenance import Provenance
from server.services.accounts.link_verification import carry_verification, queue_verification
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound
from server.services.federation.outbound.actor_updates import send_actor_update
from storage import accounts as account_queries
from storage import media as media_queries
from storage.media_files import MediaFileMissing, MediaStore, OpenedFile
from storage.models import Account

MAX_DISPLAY_NAME = 100
MAX_NOTE = 500
# Profile fields, as Mastodon's Account::Fields (DEFAULT_FIELDS_SIZE) and its 255-character
# name and value.
MAX_FIELDS = 4
MAX_FIELD_TEXT = 255
ROLES = {"avatar": (400, 400), "header": (1500, 500)}
_FILENAME_RE = re.compile(r"(avatar|header)-[0-9a-f]{16}\.jpg")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Profile:
    username: str
    display_name: str
    note: str
    avatar_url: str | None
    header_url: str | None
    # name, value and (once its link was checked) verified_at of each profile field.
    fields: list[dict[str, str]]


def _profile(account: Account) -> Profile:
    return Profile(account.username, account.display_name, account.note, account.avatar_url,
                   account.header_url,
                   [dict(f) for f in account.fields or [] if isinstance(f, dict)])


def _media_base(services: Services) -> str:
    base = services.config.media.base_url
    return base.rstrip("/") if base else services.urls.base + "/media"


def profile_image_key(account_id: int, filename: str) -> str:
    return f"profiles/{account_id}/{filename}"


async def _local(session: AsyncSession, account_id: int) -> Account:
    account = await account_queries.account_by_id(session, account_id)
    if account is None or not account.is_local or account.deleted_at is not None:
        raise NotFound(N_("there is no such account"))
    return account


async def profile(services: Services, account_id: int) -> Profile:
    async with services.db.reader() as session:
        return _profile(await _local(session, account_id))


def _clean_name(raw: str, limit: int, too_long: str) -> str:
    """`raw` on one line, without control characters; `too_long` (an N_ template) refuses
    it past `limit`: one sentence per kind of name, as a translation needs."""
    name = " ".join(_CONTROL_RE.sub("", raw).split())
    if len(name) > limit:
        raise InvalidInput(too_long, limit=limit)
    return name


def _clean_note(raw: str) -> str:
    note = _CONTROL_RE.sub("", raw.replace("\r\n", "\n")).strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(N_("the bio is longer than %(limit)s characters"), limit=MAX_NOTE)
    return note


def _clean_fields(raw: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Name-value pairs in the order given; pairs left blank are dropped (Mastodon's
    fields_attributes=), a value without a name is refused."""
    fields = []
    for name, value in raw:
        name = _clean_name(name, MAX_FIELD_TEXT,
                           N_("the field name is longer than %(limit)s characters"))
        value = _clean_name(value, MAX_FIELD_TEXT,
                            N_("the field value is longer than %(limit)s characters"))
        if not name and not value:
            continue
        if not name:
            raise InvalidInput(N_("a profile field needs a name"))
        fields.append({"name": name, "value": value})
    if len(fields) > MAX_FIELDS:
        raise InvalidInput(N_("a profile has at most %(limit)s fields"), limit=MAX_FIELDS)
    return fields


@dataclass(frozen=True)
class Flags:
    """Account settings the client API edits with the profile (None: keep)."""

    locked: bool | None = None  # followers need approval (manuallyApprovesFollowers)
    bot: bool | None = None  # an automated account: actor type Service
    discoverable: bool | None = None


@dataclass(frozen=True)
class _NewImage:
    role: str
    key: str
    url: str


async def _process(services: Services, role: str, data: bytes,
                   provenance: Provenance | None) -> tuple[str, bytes]:
    media = services.config.media
    # A lower pixel limit than posts' (checked before decoding): what we keep is at most
    # 400x400 or 1500x500, as Mastodon's Account::Avatar (AVATAR_GEOMETRY) and
    # Account::Header (MAX_PIXELS = 750,000), and a decode costs 4 bytes per source pixel.
    limits = Limits(max_pixels=min(media.max_pixels, media.profile_max_pixels),
                    max_size=media.max_size)
    try:
        jpeg = await asyncio.to_thread(process_profile_image, data, limits, ROLES[role],
                                       provenance)
    except MediaError as exc:
        # One sentence per role: "avatar" and "header" are words a translation changes.
        refused = N_("the avatar image was refused: %(reason)s") if role == "avatar" \
            else N_("the header image was refused: %(reason)s")
        raise InvalidInput(refused, reason=str(exc)) from None
    return role, jpeg.data


async def _store(services: Services, store: MediaStore, account_id: int,
                 processed: list[tuple[str, bytes]]) -> list[_NewImage]:
    stored = []
    for role, data in processed:
        filename = f"{role}-{hashlib.sha256(data).hexdigest()[:16]}.jpg"
        key = profile_image_key(account_id, filename)
        await store.put(key, data)
        stored.append(_NewImage(role, key,
                                f"{_media_base(services)}/profiles/{account_id}/{filename}"))
    return stored


async def update_profile(services: Services, store: MediaStore, account_id: int, *,
                         display_name: str | None = None, note: str | None = None,
                         avatar: bytes | None = None, header: bytes | None = None,
                         remove_avatar: bool = False, remove_header: bool = False,
                         fields: list[tuple[str, str]] | None = None,
                         flags: Flags | None = None) -> Profile:
    """Change what is given (None: keep). Images are checked before anything is written;
    one actor Update tells followers' servers of everything changed."""
    name = None if display_name is None else _clean_name(
        display_name, MAX_DISPLAY_NAME,
        N_("the display name is longer than %(limit)s characters"))
    bio = None if note is None else _clean_note(note)
    cleaned = None if fields is None else _clean_fields(fields)
    processed = [await _process(services, role, data, None)
                 for role, data in (("avatar", avatar), ("header", header)) if data]
    new = await _store(services, store, account_id, processed)
    removed = {"avatar"} if remove_avatar and not avatar else set()
    removed |= {"header"} if remove_header and not header else set()
    return await _apply(services, store, account_id, name, bio, new, removed,
                        fields=cleaned, flags=flags or Flags())


async def use_generated_image(services: Services, store: MediaStore, account_id: int,
                              media_id: int, role: str) -> Profile:
    """One of the user's generated images becomes the avatar or header."""
    if role not in ROLES:
        raise InvalidInput(N_("choose avatar or header"))
    async with services.db.reader() as session:
        media = await media_queries.attachment_by_id(session, media_id)
    if media is None or media.account_id != account_id or media.generation_id is None:
        raise NotFound(N_("there is no such image of yours"))
    try:
        data = await store.read(media.jpeg_key)
    except MediaFileMissing:
        raise NotFound(N_("that image's file is missing")) from None
    provenance = Provenance(digital_source_type=media.digital_source_type,
                            generator=media.generator, software="Dreamfeed")
    new = await _store(services, store, account_id,
                       [await _process(services, role, data, provenance)])
    return await _apply(services, store, account_id, None, None, new, set())


async def _apply(services: Services, store: MediaStore, account_id: int, name: str | None,
                 bio: str | None, new: list[_NewImage], removed: set[str], *,
                 fields: list[dict[str, str]] | None = None,
                 flags: Flags | None = None) -> Profile:
    stale: list[str] = []
    async with services.db.writer.begin() as session:
        account = await _local(session, account_id)
        changed = False
        if name is not None and name != account.display_name:
            account.display_name, changed = name, True
        if bio is not None and bio != account.note:
            account.note, changed = bio, True
        if fields is not None:
            fields = carry_verification(account.fields, fields)
            if fields != (account.fields or []):
                account.fields, changed = fields, True
                await queue_verification(session, account, services.config)
        changed = _set_flags(account, flags or Flags()) or changed
        for image in new:
            stale.append(_set_image(account, image.role, image.key, image.url))
            changed = True
        for role in removed:
            stale.append(_set_image(account, role, None, None))
            changed = True
        if changed:
            await send_actor_update(services, session, account)
        result = _profile(account)
    # After the commit: the old files are no longer named by anything.
    for key in stale:
        if key and key not in {image.key for image in new}:
            await store.delete(key)
    return result


def _set_flags(account: Account, flags: Flags) -> bool:
    """Apply the flags given; whether anything changed."""
    before = (account.manually_approves_followers, account.actor_type, account.discoverable)
    if flags.locked is not None:
        account.manually_approves_followers = flags.locked
    if flags.bot is not None:
        account.actor_type = "Service" if flags.bot else "Person"
    if flags.discoverable is not None:
        account.discoverable = flags.discoverable
    return before != (account.manually_approves_followers, account.actor_type,
                      account.discoverable)


def _set_image(account: Account, role: str, key: str | None, url: str | None) -> str:
    """Point the account at a new image (or none); the key it had."""
    if role == "avatar":
        old, account.avatar_cached_key, account.avatar_url = account.avatar_cached_key, key, url
    else:
        old, account.header_cached_key, account.header_url = account.header_cached_key, key, url
    return old or ""


async def profile_image(services: Services, store: MediaStore, account_id: int,
                        filename: str) -> OpenedFile | None:
    """The file behind /media/profiles/{account_id}/{filename}, opened to be streamed, only
    while the account still uses that image (an old one is gone, not served forever)."""
    if not _FILENAME_RE.fullmatch(filename):
        return None
    async with services.db.reader() as session:
        account = await account_queries.account_by_id(session, account_id)
    key = profile_image_key(account_id, filename)
    if account is None or not account.is_local or account.suspended_at is not None \
            or key not in (account.avatar_cached_key, account.header_cached_key):
        return None
    try:
        return await store.open(key)
    except MediaFileMissing:
        return None

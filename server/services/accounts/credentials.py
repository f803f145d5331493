"""The signed-in user's own account for the client API: verify_credentials and
update_credentials (Mastodon's Api::V1::Accounts::CredentialsController), the account with
what only its owner sees (the bio as typed, pending follow requests, the role).

The posting defaults are the user's preferences (services.accounts.preferences), the same
the web settings page sets: source[privacy], source[sensitive] and source[language] (null:
the instance's applies), read and changed here as Mastodon's credentials do."""

from __future__ import annotations

from dataclasses import dataclass

from server.i18n import N_
from server.render.to_mastodon.parts import AccountParts
from server.services.accounts import posting_language, preferences, profile_settings
from server.services.accounts.preferences import PreferencesChange
from server.services.accounts.profile_settings import Flags
from server.services.context import Services
from server.services.errors import NotFound
from server.services.reading.entities import load_accounts
from storage import accounts as account_queries
from storage import follows as follow_queries


@dataclass(frozen=True)
class Credentials:
    account: AccountParts
    note_source: str  # the bio as typed (the account's note is HTML)
    privacy: str
    sensitive: bool
    language: str | None
    follow_requests_count: int
    admin: bool


async def credentials(services: Services, account_id: int) -> Credentials:
    async with services.db.reader() as session:
        user = await account_queries.user_by_account_id(session, account_id)
        parts = (await load_accounts(services, session, [account_id])).get(account_id)
        if user is None or parts is None:
            raise NotFound(N_("Record not found"))
        requests = await follow_queries.count_requests(session, account_id)
    chosen = preferences.of_user(user)
    return Credentials(account=parts, note_source=parts.account.note,
                       privacy=chosen.visibility, sensitive=chosen.sensitive,
                       language=chosen.language,
                       follow_requests_count=requests, admin=user.admin)


@dataclass(frozen=True)
class CredentialsUpdate:
    """What update_credentials changes (None: keep)."""

    display_name: str | None = None
    note: str | None = None
    avatar: bytes | None = None
    header: bytes | None = None
    fields: list[tuple[str, str]] | None = None
    locked: bool | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    language: str | None = None  # source[language]; "" clears it
    privacy: str | None = None  # source[privacy]: the default visibility
    sensitive: bool | None = None  # source[sensitive]


async def update_credentials(services: Services, account_id: int,
                             update: CredentialsUpdate) -> Credentials:
    """The profile changed through the same settings service as the web page (images
    through the image pipeline; one actor Update to followers' servers)."""
    change = PreferencesChange(visibility=update.privacy, sensitive=update.sensitive,
                               language=update.language)
    if update.privacy is not None:  # refused before anything changes
        preferences.check_visibility(update.privacy)
    if update.language is not None:
        posting_language.check(update.language)
    await profile_settings.update_profile(
        services, services.media, account_id, display_name=update.display_name,
        note=update.note, avatar=update.avatar, header=update.header, fields=update.fields,
        flags=Flags(locked=update.locked, bot=update.bot, discoverable=update.discoverable))
    if change != PreferencesChange():
        await preferences.save(services, account_id, change)
    return await credentials(services, account_id)

"""A user's default posting language: what a post that names no language of its own is
marked with (the Note's `contentMap` key, the status's `language`), as Mastodon's
PostStatusService takes `valid_locale_cascade(language given, the user's default posting
language, I18n.default_locale)`. Set in the web settings and through the client API
(update_credentials `source[language]`, read back as `source.language`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.config import LANGUAGE_CODE_RE, Config
from server.i18n import N_
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound
from storage import accounts as account_queries


def valid_language(raw: str | None) -> str | None:
    """A language tag as given, its language part lowercased; None for nothing or junk (as
    Mastodon's valid_locale_or_nil)."""
    if not raw or not raw.strip():
        return None
    code, sep, rest = raw.strip().replace("_", "-").partition("-")
    # BCP 47's case: region upper (pt-BR), script title (zh-Hant).
    rest = rest.upper() if len(rest) == 2 else rest.title() if len(rest) == 4 else rest
    tag = code.lower() + sep + rest
    return tag if LANGUAGE_CODE_RE.fullmatch(tag) else None


async def user_default(session: AsyncSession, account_id: int) -> str | None:
    """The language the user chose (None: none chosen, or not a user)."""
    user = await account_queries.user_by_account_id(session, account_id)
    return None if user is None else user.default_language


async def chosen(services: Services, account_id: int) -> str | None:
    """The user's choice, for its settings (None: none)."""
    async with services.db.reader() as session:
        return valid_language(await user_default(session, account_id))


async def posting_language(session: AsyncSession, config: Config, account_id: int,
                           given: str | None) -> str | None:
    """The language a new post by `account_id` is marked with."""
    return (valid_language(given) or valid_language(await user_default(session, account_id))
            or valid_language(config.instance.default_language))


def check(raw: str) -> str | None:
    """The language `raw` names (None for blank); InvalidInput for anything else."""
    language = valid_language(raw)
    if raw.strip() and language is None:
        raise InvalidInput(N_("%(code)r is not a language code such as en or pt-BR"),
                           code=raw.strip())
    return language


async def set_default(services: Services, account_id: int, raw: str) -> str | None:
    """Choose the default posting language ("" clears it: the instance's applies)."""
    language = check(raw)
    async with services.db.writer.begin() as session:
        user = await account_queries.user_by_account_id(session, account_id)
        if user is None:
            raise NotFound(N_("there is no such account"))
        user.default_language = language
    return language

"""A user's web interface language (Settings > Language): one of server.i18n.LANGUAGES, or
none, when each request takes the browser's. Read with the session (web_sessions.load), so
choosing costs no query per page."""

from __future__ import annotations

from server import i18n
from server.i18n import N_
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound
from storage import accounts as account_queries


def check(raw: str) -> str | None:
    """The language `raw` names (None for blank: the browser's); InvalidInput otherwise."""
    if not raw.strip():
        return None
    language = i18n.supported(raw)
    if language is None:
        raise InvalidInput(N_("Choose one of the languages in the list."))
    return language


async def choose(services: Services, account_id: int, raw: str) -> str | None:
    """Set the user's interface language ("" clears it)."""
    language = check(raw)
    async with services.db.writer.begin() as session:
        user = await account_queries.user_by_account_id(session, account_id)
        if user is None:
            raise NotFound(N_("There is no such account."))
        user.interface_language = language
    return language

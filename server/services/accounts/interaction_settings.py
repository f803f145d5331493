"""A user's defaults for who may reply to, boost and quote their new posts (GoToSocial's
interaction controls: statuses/interaction_policy.py; FEP-044f's quotes:
statuses/quotes.py); a post may choose otherwise."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.services.context import Services
from server.services.errors import NotFound
from server.services.statuses.interaction_policy import CHOSEN, EVERYONE, checked_choices
from server.services.statuses.quotes import DEFAULT_KEY, checked_default
from storage import accounts as account_queries
from storage.models import User


async def _user(session: AsyncSession, username: str) -> User:
    account = await account_queries.local_account_by_username(session, username)
    user = await account_queries.user_by_account_id(session, account.id) if account else None
    if user is None:
        raise NotFound(N_("no local user named %(name)r"), name=username)
    return user


async def defaults(services: Services, username: str) -> dict[str, str]:
    """Every chosen sub-policy with its choice (`everyone` where none was made), and who
    may quote (`public` where none was made)."""
    async with services.db.reader() as session:
        stored = dict((await _user(session, username)).interaction_defaults or {})
    return {**{i.sub_policy: stored.get(i.sub_policy, EVERYONE) for i in CHOSEN},
            DEFAULT_KEY: stored.get(DEFAULT_KEY, "public")}


async def set_defaults(services: Services, username: str, values: dict[str, str]) -> None:
    chosen = checked_choices(values)
    quote = checked_default(values.get(DEFAULT_KEY))
    if quote != "public":  # the default, not stored
        chosen[DEFAULT_KEY] = quote
    async with services.db.writer.begin() as session:
        (await _user(session, username)).interaction_defaults = chosen

"""A user's alt text reminder: when they post images without descriptions, the compose page
asks once whether to post anyway (as Ivory, Elk and Mona do). On unless they turn it off in
Settings > Alt text."""

from __future__ import annotations

from server.i18n import N_
from server.services.context import Services
from server.services.errors import NotFound
from storage import accounts as account_queries


async def reminders_on(services: Services, account_id: int) -> bool:
    async with services.db.reader() as session:
        user = await account_queries.user_by_account_id(session, account_id)
    return user is not None and user.alt_text_reminders


async def set_reminders(services: Services, account_id: int, on: bool) -> None:
    async with services.db.writer.begin() as session:
        user = await account_queries.user_by_account_id(session, account_id)
        if user is None:
            raise NotFound(N_("there is no such account"))
        user.alt_text_reminders = on


def missing_alt(media_ids: list[int], alts: dict[int, str], from_prompt: set[int]) -> list[int]:
    """The positions (1-based) of the picked images that would be posted without alt text."""
    return [position for position, media_id in enumerate(media_ids, start=1)
            if not alts.get(media_id, "").strip() and media_id not in from_prompt]

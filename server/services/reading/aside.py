"""The web app's right column: the week's trending hashtags (server.services.reading.trends,
as the client API's /api/v1/trends/tags) and a few local people to follow."""

from __future__ import annotations

import time
from dataclasses import dataclass

from server.services.context import Services
from server.services.reading import trends
from server.services.reading.post_cards import AccountCard, account_card
from storage import suggestions

TAGS_SHOWN = 5
PEOPLE_SHOWN = 3
# The trending tags are the same for everyone and move slowly: counted once a minute per
# instance (by its base URL: tests run several instances in one process).
TAGS_TTL = 60.0
_tags_cache: dict[str, tuple[float, list[str]]] = {}


@dataclass(frozen=True)
class Aside:
    tags: list[str]  # names without '#'
    people: list[AccountCard]


async def trending_tags(services: Services) -> list[str]:
    key = services.config.base_url
    now = time.monotonic()
    cached = _tags_cache.get(key)
    if cached is not None and now - cached[0] < TAGS_TTL:
        return cached[1]
    names = [tag.name for tag in await trends.tags(services, offset=0, limit=TAGS_SHOWN)]
    _tags_cache[key] = (now, names)
    return names


async def aside(services: Services, viewer_account_id: int | None) -> Aside:
    async with services.db.reader() as session:
        people = await suggestions.accounts_to_follow(session, viewer_account_id,
                                                      PEOPLE_SHOWN)
    return Aside(tags=await trending_tags(services),
                 people=[account_card(services.config, account) for account in people])

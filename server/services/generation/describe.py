"""Image descriptions drafted by a vision model: "Describe this image" on the compose page and
POST /api/v1/dreamfeed/media/:id/describe. The author reads and edits the draft before it is
posted; nothing here writes alt text.

The model is `[describe]`'s (server.images.describe.DescribeClient): any OpenAI-compatible
chat endpoint that takes images, OpenAI's when only a key is known, off with neither. Each
request counts against the user's `[describe] daily_limit` for the UTC day, counted when
asked; a failure of the model's own (timeout, unreachable, unsupported) is given back, a
refusal is not (as with generation). The model is shown the image alone, re-encoded without
metadata; the private prompt only when its author asks (`include_prompt`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from server.config import Config
from server.i18n import N_
from server.images.describe import DescribeClient, DescribeError
from server.images.openai_api import OPENAI_BASE_URL
from server.images.pipeline import MediaError, image_for_description
from server.services.context import Services
from server.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from server.services.generation.generate import DailyQuota, QuotaExceeded
from server.services.generation.prompt_moderation import generator_openai_key
from server.services.moderation.moderation_checks import ensure_not_suspended
from storage import description_quotas as quota_queries
from storage import generations as gen_queries
from storage import media as media_queries
from storage import pending_media as pending_queries
from storage.media_files import MediaFileMissing, MediaStoreUnavailable
from storage.types import utcnow

log = logging.getLogger(__name__)

# Failures that are the model's answer about this image: the description still counts.
USER_FAULTS = frozenset({"refused"})


class DescriptionsOff(InvalidInput):
    """No vision model is configured on this server."""


class DescriptionUnavailable(ServiceError):
    """The model could not be reached or failed; nothing was counted (answered with 503)."""


class DescriptionRefused(ServiceError):
    """The model answered, but with no description of this image (or not one we can use)."""


class DescribeQuotaExceeded(QuotaExceeded):
    pass


@dataclass(frozen=True)
class Draft:
    description: str
    caption: str  # a suggestion; "" when the model offered none
    model: str
    used_prompt: bool
    quota: DailyQuota


def describer(config: Config) -> DescribeClient | None:
    """The configured vision model, or None when descriptions are off."""
    describe = config.describe
    if not describe.enabled:
        return None
    base_url = describe.base_url or OPENAI_BASE_URL
    key = describe.api_key
    if not key and urlsplit(base_url).hostname == urlsplit(OPENAI_BASE_URL).hostname:
        # OpenAI's own key, never another service's (generator_openai_key's rule).
        key = generator_openai_key(config)
    if not describe.base_url and not key:
        return None
    return DescribeClient(base_url=base_url, api_key=key, model=describe.model,
                          timeout=describe.timeout)


def enabled(config: Config) -> bool:
    return describer(config) is not None


async def daily_quota(services: Services, account_id: int) -> DailyQuota:
    now = utcnow()
    async with services.db.reader() as session:
        used = await quota_queries.used(session, account_id, now.date())
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return DailyQuota(used=used, limit=services.config.describe.daily_limit,
                      resets_at=midnight)


async def draft_description(services: Services, account_id: int, media_id: int, *,
                            include_prompt: bool = False) -> Draft:
    """A draft alt text and caption for one of the account's own images (posted or not).
    `include_prompt`: the author lets the model read the prompt the image was made from."""
    client = describer(services.config)
    if client is None:
        raise DescriptionsOff(N_("image descriptions are not set up on this server: write the "
                                 "alt text yourself"))
    async with services.db.reader() as session:
        await ensure_not_suspended(session, account_id)
        media = await media_queries.attachment_by_id(session, media_id)
        if media is None or media.account_id != account_id:
            pending = await pending_queries.pending_by_id(session, media_id)
            if pending is not None and pending.account_id == account_id:
                raise Conflict(N_("this image is still being made; describe it once it is ready"))
            raise NotFound(N_("there is no such image of yours"))
        prompt = None
        if include_prompt and media.generation_id is not None:
            generation = await gen_queries.get_generation(session, media.generation_id)
            if generation is not None and generation.account_id == account_id:
                prompt = generation.prompt
        jpeg_key = media.jpeg_key
    try:
        stored = await services.media.read(jpeg_key)
        jpeg = await asyncio.to_thread(image_for_description, stored, services.image_limits)
    except (MediaFileMissing, MediaError):
        raise NotFound(N_("this image's file is missing; it cannot be described")) from None
    except MediaStoreUnavailable:
        raise DescriptionUnavailable(N_("the image cannot be read right now; try again "
                                         "later")) from None
    day = utcnow().date()
    limit = services.config.describe.daily_limit
    async with services.db.writer.begin() as session:
        if not await quota_queries.reserve(session, account_id, day, limit):
            raise DescribeQuotaExceeded(
                N_("daily description limit reached: all %(limit)s used today (UTC); it "
                   "resets at midnight UTC"), limit=limit)
    try:
        found = await client.describe(jpeg, prompt)
    except DescribeError as exc:
        log.warning("image description failed: media=%s model=%s code=%s %s", media_id,
                    client.model, exc.code, exc)
        if exc.code not in USER_FAULTS:
            async with services.db.writer.begin() as session:
                await quota_queries.refund(session, account_id, day)
        if exc.code in ("timeout", "unavailable", "rate_limited"):
            raise DescriptionUnavailable(exc.template, **exc.values) from None
        raise DescriptionRefused(exc.template, **exc.values) from None
    return Draft(description=found.text, caption=found.caption, model=found.model,
                 used_prompt=prompt is not None,
                 quota=await daily_quota(services, account_id))

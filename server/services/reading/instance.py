"""What the client API says about this instance (GET /api/v1/instance, /api/v2/instance and
their neighbours): the configuration, real counts, the contact account, the limits every other
part of Dreamfeed enforces, what generation offers with the caller's quota left today, and
the servers we know."""

from __future__ import annotations

from datetime import timedelta

from server import __version__
from server.images.pipeline import ACCEPTED_FORMATS
from server.render.to_mastodon.instance import (
    DescribeOffer,
    GenerationOffer,
    InstanceParts,
    Limits,
)
from server.services.accounts.profile_settings import MAX_DISPLAY_NAME, MAX_NOTE
from server.services.context import Services
from server.services.generation import describe
from server.services.oauth import vapid
from server.services.reading import composer
from server.services.reading.entities import load_accounts
from server.services.statuses import posts
from server.services.statuses.pins import PIN_LIMIT
from storage import accounts as account_queries
from storage import instance as instance_queries
from storage.types import utcnow

# Mastodon counts active users over four weeks (InstancePresenter#active_user_count(4)).
ACTIVE_WINDOW = timedelta(weeks=4)
# The MIME type of each format the image pipeline decodes (server.images.pipeline).
MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp",
              "GIF": "image/gif"}
# Mastodon counts every link in a status as 23 characters (StatusLengthValidator).
URL_CHARACTERS = 23


def limits(services: Services) -> Limits:
    media = services.config.media
    return Limits(
        max_characters=posts.MAX_CAPTION, max_media_attachments=posts.MAX_IMAGES,
        characters_reserved_per_url=URL_CHARACTERS,
        upload_types=tuple(MIME_TYPES[name] for name in ACCEPTED_FORMATS)
        if media.allow_uploads else (),
        image_size_limit=media.max_size, image_matrix_limit=media.max_pixels,
        description_limit=posts.MAX_ALT, max_pinned_statuses=PIN_LIMIT,
        max_display_name_length=MAX_DISPLAY_NAME, max_note_length=MAX_NOTE)


async def generation_offer(services: Services, viewer_account_id: int | None
                           ) -> GenerationOffer:
    """The same choices as the web compose page, and the viewer's images left today."""
    options = composer.options(services)
    model = services.backend.model if services.image_backend is not None \
        else services.config.generator.model
    remaining: int | None = None
    if viewer_account_id is not None:
        remaining = (await composer.quota(services, viewer_account_id)).left
    return GenerationOffer(
        models=(model,), styles=options.styles,
        sizes=tuple(choice.value for choice in options.sizes),
        default_size=options.default_size,
        qualities=tuple(choice.value for choice in options.qualities),
        default_quality=options.default_quality, max_images=options.max_images,
        daily_limit=services.config.generator.daily_limit, remaining_today=remaining)


async def describe_offer(services: Services, viewer_account_id: int | None) -> DescribeOffer:
    """Whether images can be described here, and the viewer's descriptions left today."""
    client = describe.describer(services.config)
    if client is None:
        return DescribeOffer()
    remaining = None
    if viewer_account_id is not None:
        remaining = (await describe.daily_quota(services, viewer_account_id)).left
    return DescribeOffer(enabled=True, model=client.model, max_characters=posts.MAX_ALT,
                         daily_limit=services.config.describe.daily_limit,
                         remaining_today=remaining)


async def instance(services: Services, viewer_account_id: int | None) -> InstanceParts:
    """Everything both versions of the Instance entity say; `viewer_account_id` (a user
    token's account) adds that user's generation quota."""
    config = services.config
    async with services.db.reader() as session:
        users = await account_queries.count_local_users(session)
        active = await account_queries.count_active_local_users(
            session, utcnow() - ACTIVE_WINDOW)
        statuses = await instance_queries.count_local_statuses(session)
        domains = await instance_queries.count_known_domains(session)
        admin = await instance_queries.first_admin_account_id(session)
        contact = (await load_accounts(services, session, [admin])).get(admin) \
            if admin is not None else None
    return InstanceParts(
        domain=config.instance.domain, base_url=config.base_url, title=config.instance.name,
        description=config.instance.description, contact_email=config.instance.contact_email,
        rules=config.instance.rules, registrations=config.instance.registrations,
        limited_federation=config.federation.allowlist_mode, software_version=__version__,
        user_count=users, active_month=active, status_count=statuses, domain_count=domains,
        contact=contact, vapid_key=await vapid.public_key(services), limits=limits(services),
        generation=await generation_offer(services, viewer_account_id),
        describe=await describe_offer(services, viewer_account_id),
        languages=(config.instance.default_language,) if config.instance.default_language
        else ())


async def peers(services: Services) -> list[str]:
    """The servers we know an account of, without those under a domain block of any kind
    (as Mastodon's peers list leaves out every blocked domain)."""
    rules = await services.domains.rules()
    async with services.db.reader() as session:
        known = await instance_queries.known_domains(session)
    return [domain for domain in known
            if rules.rule_for(domain) is None and rules.allowed(domain)]

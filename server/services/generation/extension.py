"""Dreamfeed's generation, as its client API extension offers it: a generation whose images
are media ids from the start (promised pending media, server.services.generation.generate),
so a Mastodon client polls them like uploads and posts them with POST /api/v1/statuses.

Everything goes through generate.request_generation: the prompt's screening, the daily quota,
the rate limit and the Idempotency-Key are the web compose page's. A remix starts from a
status the viewer may see whose author allows remixes (reading.composer.remix, as the compose
page), or from an image of the viewer's own or in such a post (`source_media_id`).
"""

from __future__ import annotations

from dataclasses import dataclass

from server.i18n import N_
from server.render.to_mastodon.parts import MediaParts
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound
from server.services.generation import generate
from server.services.reading import composer
from server.services.reading.entities import local_media_parts
from server.services.statuses.uploads import pending_parts
from storage import generations as gen_queries
from storage import media as media_queries
from storage import pending_media as pending_queries
from storage.models import Generation


@dataclass(frozen=True)
class GenerationParts:
    """A generation with its images as media attachments: made ones with their URLs,
    promised ones (url None) until they are."""

    generation: Generation
    media: list[MediaParts]
    # The remix's source: the image, and the status it is in when it is in one.
    source_media_id: int | None
    remix_of_status_id: int | None


@dataclass(frozen=True)
class Ask:
    """What a client asks for (None: the instance's default)."""

    prompt: str | None
    size: str | None = None
    quality: str | None = None
    style: str | None = None
    seed: int | None = None
    n: int = 1
    source_media_id: int | None = None
    # A remix: how far it may move from its source (None: the remix default).
    strength: float | None = None
    idempotency_key: str | None = None


async def start(services: Services, account_id: int, ask: Ask, *,
                remix_of: int | None = None) -> GenerationParts:
    """Queue a generation with its images promised. `remix_of`: a status to remix (its
    first image when it is one of ours, its published prompt when no prompt is given)."""
    prompt, source_media_id = ask.prompt, ask.source_media_id
    if remix_of is not None:
        remix = await composer.remix(services, remix_of, account_id)
        source_media_id = remix.media_id if source_media_id is None else source_media_id
        if not (prompt or "").strip():
            prompt = remix.prompt
        if source_media_id is None and not (prompt or "").strip():
            raise InvalidInput(N_("that post's image is not stored here and its prompt is not "
                                  "published: give a prompt to remix it"))
    view = await generate.request_generation(
        services, account_id, prompt or "", size=ask.size, quality=ask.quality,
        style=ask.style, seed=ask.seed, n=ask.n, source_media_id=source_media_id,
        strength=ask.strength if ask.strength is not None else generate.REMIX_STRENGTH,
        idempotency_key=ask.idempotency_key, limiter=services.limiter, promise_media=True)
    return await generation_parts(services, view.id, account_id)


async def generation_parts(services: Services, generation_id: int,
                           account_id: int) -> GenerationParts:
    """One of the account's generations; NotFound for anyone else's."""
    async with services.db.reader() as session:
        generation = await gen_queries.get_generation(session, generation_id)
        if generation is None or generation.account_id != account_id:
            raise NotFound(N_("Record not found"))
        made = await media_queries.attachments_for_generation(session, generation_id)
        promised = await pending_queries.pending_of_generation(session, generation_id)
        source = await media_queries.attachment_by_id(session, generation.source_media_id) \
            if generation.source_media_id is not None else None
    # Promised ids are allocated in order, and an image takes its promised id: by id is the
    # images' order whether made or not.
    media = sorted([local_media_parts(services.config, m) for m in made]
                   + [pending_parts(p) for p in promised], key=lambda m: m.id)
    return GenerationParts(generation=generation, media=media,
                           source_media_id=generation.source_media_id,
                           remix_of_status_id=source.status_id if source else None)

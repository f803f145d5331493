"""Content credentials (C2PA) of the images we make, and the verdict on anyone's.

The instance signs: with the chain and key the operator names in [media] c2pa_certificate /
c2pa_private_key, or else with a self-signed chain made at first start and kept in
instance_settings beside the domain lock (like the instance actor's key, in the database, so
every process and machine signs with the same one). The federated JPEG and our WebP carry
the manifest; the thumbnail does not (it never leaves our pages as a file of its own).

The verdict a post page shows is computed once per file (when we sign it, or when a remote
image is cached) and kept on its row (`credentials`), never by reading files per page view.
The credentials page reads the file itself, to say what its manifest claims.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from server import __version__
from server.config import Config
from server.i18n import N_
from server.images.credentials import (
    ABSENT,
    INVALID,
    VERIFIED,
    Claims,
    CredentialsError,
    Parent,
    Report,
    SigningIdentity,
    new_identity,
    read,
    sign,
)
from server.images.pipeline import ProcessedImage, Rendition, process_image
from server.images.provenance import Provenance
from server.services.context import Services
from server.services.errors import NotFound
from server.services.statuses.media import (
    JPEG_FILE,
    WEBP_FILE,
    find_media_file,
    media_url,
    open_media_file,
)
from storage import generations as generation_queries
from storage import instance as instance_queries
from storage import media as media_queries
from storage.media_files import MediaFileMissing, rendition_key
from storage.models import MediaAttachment

__all__ = ["ABSENT", "INVALID", "VERIFIED", "CredentialsError", "Report"]

CHAIN_SETTING = "c2pa_certificate_chain"
KEY_SETTING = "c2pa_private_key"


async def ensure_identity(session: AsyncSession, config: Config) -> None:
    """At first start (inside prepare_instance's transaction): make the instance's own
    chain unless the operator provides one."""
    if config.media.c2pa_certificate:
        return
    if await instance_queries.get_setting(session, CHAIN_SETTING) is not None:
        return
    identity = await asyncio.to_thread(new_identity, config.instance.name or
                                       config.instance.domain)
    await instance_queries.add_setting(session, CHAIN_SETTING, identity.chain_pem.decode())
    await instance_queries.add_setting(session, KEY_SETTING, identity.key_pem.decode())


async def signing_identity(services: Services) -> SigningIdentity:
    media = services.config.media
    if media.c2pa_certificate:
        try:
            chain, key = await asyncio.to_thread(
                lambda: (Path(media.c2pa_certificate).read_bytes(),
                         Path(media.c2pa_private_key).read_bytes()))
        except OSError as exc:
            raise CredentialsError(f"the C2PA certificate or key cannot be read: "
                                   f"{exc.strerror}") from None
        return SigningIdentity(chain_pem=chain, key_pem=key)
    async with services.db.reader() as session:
        chain_text = await instance_queries.get_setting(session, CHAIN_SETTING)
        key_text = await instance_queries.get_setting(session, KEY_SETTING)
    if chain_text is None or key_text is None:
        # A process that skipped prepare_instance (it makes them at every start).
        async with services.db.writer.begin() as session:
            await ensure_identity(session, services.config)
        return await signing_identity(services)
    return SigningIdentity(chain_pem=chain_text.encode(), key_pem=key_text.encode())


async def parent_of(services: Services, media_id: int | None) -> Parent | None:
    """The image a remix generation edits, as we serve it (its manifest travels along)."""
    if media_id is None:
        return None
    async with services.db.reader() as session:
        media = await media_queries.attachment_by_id(session, media_id)
    if media is None:
        return None
    try:
        data = await services.media.read(media.jpeg_key)
    except MediaFileMissing:
        return None
    return Parent(data=data, mime="image/jpeg",
                  title=media_url(services.config, media, JPEG_FILE))


async def sign_processed(services: Services, image: ProcessedImage, provenance: Provenance,
                         parent: Parent | None) -> ProcessedImage:
    """`image` with its JPEG and WebP signed (CPU-bound work off the event loop)."""
    identity = await signing_identity(services)
    claims = Claims(provenance=provenance,
                    instance=services.config.instance.name or services.config.instance.domain,
                    parent=parent)

    def signed(rendition: Rendition) -> Rendition:
        return dataclasses.replace(rendition, data=sign(rendition.data, rendition.mime,
                                                        claims, identity))

    jpeg, webp = await asyncio.to_thread(lambda: (signed(image.jpeg), signed(image.webp)))
    return dataclasses.replace(image, jpeg=jpeg, webp=webp)


@dataclass(frozen=True)
class Resigned:
    """An image signed again, now with its published prompt: the new files, stored, and
    the ones they replace (deleted once the post is committed)."""

    media_id: int
    jpeg: tuple[str, int]  # key, size
    webp: tuple[str, int]
    old_keys: tuple[str, str]

    @property
    def new_keys(self) -> tuple[str, str]:
        return self.jpeg[0], self.webp[0]


async def resign_with_prompt(services: Services, account_id: int,
                             media_ids: Sequence[int]) -> list[Resigned]:
    """The author publishes the prompt with the post: its unposted generated images get
    new JPEG and WebP files (from the stored original, through the same pipeline) whose
    XMP and manifest carry it. Images signed before the prompt was public never had it."""
    async with services.db.reader() as session:
        found = []
        for media_id in dict.fromkeys(media_ids):
            media = await media_queries.attachment_by_id(session, media_id)
            if media is None or media.account_id != account_id or media.status_id is not None \
                    or media.generation_id is None:
                continue  # create_status refuses it, or it has no prompt to publish
            generation = await generation_queries.get_generation(session, media.generation_id)
            if generation is not None:
                found.append((media, generation.prompt, generation.source_media_id))
    resigned = []
    for media, prompt, source_id in found:
        try:
            original = await services.media.read(media.original_key)
        except MediaFileMissing:
            continue
        provenance = Provenance(digital_source_type=media.digital_source_type,
                                generator=media.generator, software=software_name(),
                                prompt=prompt)
        image = await asyncio.to_thread(process_image, original, provenance,
                                        services.image_limits)
        image = await sign_processed(services, image, provenance,
                                     await parent_of(services, source_id))
        jpeg_key = rendition_key(media.id, image.jpeg.sha256, JPEG_FILE)
        webp_key = rendition_key(media.id, image.webp.sha256, WEBP_FILE)
        await services.media.put(jpeg_key, image.jpeg.data)
        await services.media.put(webp_key, image.webp.data)
        resigned.append(Resigned(media.id, (jpeg_key, len(image.jpeg.data)),
                                 (webp_key, len(image.webp.data)),
                                 (media.jpeg_key, media.webp_key)))
    return resigned


def apply_resigned(attached: Sequence[MediaAttachment], resigned: Sequence[Resigned]) -> None:
    """Inside the post's transaction: its images' rows name the new files."""
    by_id = {item.media_id: item for item in resigned}
    for media in attached:
        item = by_id.get(media.id)
        if item is not None:
            (media.jpeg_key, media.jpeg_size), (media.webp_key, media.webp_size) = \
                item.jpeg, item.webp


async def drop_files(services: Services, keys: Sequence[str]) -> None:
    for key in keys:
        await services.media.delete(key)


def software_name() -> str:
    """The software that writes our files, as the XMP packet and the manifest name it."""
    return f"Dreamfeed {__version__}"


async def verdict(data: bytes, mime: str) -> str:
    """VERIFIED, INVALID or ABSENT for a file's bytes (CPU-bound, off the loop)."""
    report = await asyncio.to_thread(read, data, mime)
    return report.state


def credentials_path(media: MediaAttachment) -> str | None:
    """Where one of our images' credentials are told (server.handlers.web.credentials);
    None for images from before credentials or before URL secrets."""
    if media.credentials is None or media.url_secret is None:
        return None
    return f"/credentials/{media.id}/{media.url_secret}"


async def media_report(services: Services, media_id: int, secret: str) -> Report:
    """What one of our images' manifest says: the same secret as its image URL is needed
    (whoever may see the image may see its credentials). NotFound otherwise."""
    found = await find_media_file(services.db, media_id, secret, JPEG_FILE)
    opened = None if found is None else await open_media_file(services.media, found)
    if opened is None:
        raise NotFound(N_("there is no such image"))
    data = b"".join([chunk async for chunk in opened.chunks()])
    return await asyncio.to_thread(read, data, "image/jpeg")

"""Content credentials (C2PA) on both databases: every generated file read back with
c2pa.Reader (the federated JPEG and the WebP), a remix's parent as its ingredient, the prompt
only once published, a tampered byte failing validation, the operator's own certificate,
and what the post page and the credentials page say."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import c2pa
import pytest
from sqlalchemy import select

from server import appkeys
from server.app import create_app
from server.config import Config
from server.images import credentials as adapter
from server.services.context import Services
from server.services.generation import generate as service
from server.services.media import credentials
from server.services.statuses import posts
from storage.models import InstanceSetting, MediaAttachment, Status
from tests.server.images.conftest import Client, make_user


def manifest_of(data: bytes, mime: str) -> tuple[str, dict[str, Any], str]:
    """The Reader's validation state, its active manifest, and its whole JSON."""
    with c2pa.Reader(mime, io.BytesIO(data)) as reader:
        text = reader.json()
        document = json.loads(text)
        return (reader.get_validation_state(),
                document["manifests"][document["active_manifest"]], text)


def created_action(manifest: dict[str, Any]) -> dict[str, Any]:
    actions = next(a["data"]["actions"] for a in manifest["assertions"]
                   if a["label"].startswith("c2pa.actions"))
    return next(a for a in actions if a["action"] == "c2pa.created")


async def generate(client: Client, account_id: int, prompt: str,
                   source: int | None = None) -> MediaAttachment:
    app = client.app
    assert app is not None
    services = app[appkeys.SERVICES]
    queued = await service.request_generation(services, account_id, prompt, size="128x128",
                                              source_media_id=source)
    await app[appkeys.WORKER_POOL].run_until_empty()
    done = await service.get_generation(services, queued.id)
    assert done.state == "done", done.error
    async with app[appkeys.DATABASE].reader() as session:
        media = await session.get(MediaAttachment, done.media[0].id)
    assert media is not None
    return media


async def files(client: Client, media: MediaAttachment) -> dict[str, bytes]:
    out = {}
    for name, mime in (("image.jpg", "image/jpeg"), ("image.webp", "image/webp")):
        resp = await client.get(f"/media/{media.id}/{media.url_secret}/{name}")
        assert resp.status == 200
        out[mime] = await resp.read()
    return out


async def reload(client: Client, media_id: int) -> MediaAttachment:
    assert client.app is not None
    async with client.app[appkeys.DATABASE].reader() as session:
        media = await session.get(MediaAttachment, media_id)
    assert media is not None
    return media


async def test_every_generated_file_carries_a_valid_manifest(app_client: Client) -> None:
    app = app_client.app
    assert app is not None
    alice = await make_user(app[appkeys.DATABASE], app[appkeys.CONFIG])
    media = await generate(app_client, alice, "a violet nebula around a planet")
    assert media.credentials == "verified"
    for mime, data in (await files(app_client, media)).items():
        state, manifest, text = manifest_of(data, mime)
        # Valid: signature and every hash hold; not Trusted: our self-signed chain is on
        # no C2PA trust list.
        assert state == "Valid", mime
        created = created_action(manifest)
        assert created["digitalSourceType"] == \
            "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"
        assert created["softwareAgent"]["name"] == "dreamfeed-procedural 1"
        assert manifest["claim_generator_info"][0]["name"] == "Dreamfeed"
        assert manifest["signature_info"]["common_name"] == app[appkeys.CONFIG].instance.name
        assert "ingredients" not in manifest or manifest["ingredients"] == []
        assert "violet nebula" not in text  # the prompt is not published
        if mime == "image/jpeg":
            print("C2PA report of a generated JPEG:\n" + text[:2500])
    # The chain was made at first start and kept with the instance's settings.
    async with app[appkeys.DATABASE].reader() as session:
        keys = {row.key for row in (await session.execute(select(InstanceSetting))).scalars()}
    assert {credentials.CHAIN_SETTING, credentials.KEY_SETTING} <= keys


async def test_a_tampered_file_fails_validation(app_client: Client) -> None:
    app = app_client.app
    assert app is not None
    alice = await make_user(app[appkeys.DATABASE], app[appkeys.CONFIG])
    media = await generate(app_client, alice, "a red square")
    for mime, data in (await files(app_client, media)).items():
        tampered = bytearray(data)
        tampered[-40] ^= 0x01  # one bit near the end (image data, or the WebP's manifest)
        state, _, _ = manifest_of(bytes(tampered), mime)
        assert state == "Invalid", mime
        report = adapter.read(bytes(tampered), mime)
        assert report.state == adapter.INVALID
        assert set(report.failures) - {"signingCredential.untrusted"}, report.failures
        print(mime, "tampered:", report.failures)


async def test_a_remix_names_its_parent_as_ingredient(app_client: Client) -> None:
    app = app_client.app
    assert app is not None
    alice = await make_user(app[appkeys.DATABASE], app[appkeys.CONFIG])
    parent = await generate(app_client, alice, "a green landscape")
    remix = await generate(app_client, alice, "as marble", source=parent.id)
    _, parent_manifest, _ = manifest_of((await files(app_client, parent))["image/jpeg"],
                                        "image/jpeg")
    for mime, data in (await files(app_client, remix)).items():
        state, manifest, _ = manifest_of(data, mime)
        assert state == "Valid"
        [ingredient] = manifest["ingredients"]
        assert ingredient["relationship"] == "parentOf"
        assert ingredient["title"] == \
            f"http://dreamfeed.test/media/{parent.id}/{parent.url_secret}/image.jpg"
        # The parent's own manifest travels inside the remix's.
        assert ingredient["active_manifest"] != manifest["instance_id"]
        assert ingredient["validation_results"]["activeManifest"]["failure"] == [
            f for f in ingredient["validation_results"]["activeManifest"]["failure"]
            if f["code"] == "signingCredential.untrusted"]
        assert parent_manifest["title"] == "image.jpg"


async def test_prompt_only_when_published_and_the_pages(app_client: Client) -> None:
    app = app_client.app
    assert app is not None
    services: Services = app[appkeys.SERVICES]
    alice = await make_user(app[appkeys.DATABASE], app[appkeys.CONFIG])
    quiet = await generate(app_client, alice, "a quiet harbour at dawn")
    public = await generate(app_client, alice, "a loud carnival at night")
    await posts.create_status(services, "alice", posts.NewStatus(
        media_ids=[quiet.id], caption="Harbour"))
    shown = await posts.create_status(services, "alice", posts.NewStatus(
        media_ids=[public.id], caption="Carnival", publish_prompt=True))

    quiet, republished = await reload(app_client, quiet.id), await reload(app_client, public.id)
    for mime, data in (await files(app_client, quiet)).items():
        _, manifest, text = manifest_of(data, mime)
        assert "quiet harbour" not in text and "parameters" not in created_action(manifest)
    # Published: new files whose manifest (and XMP) carry it; the old ones are gone.
    assert (republished.jpeg_key, republished.webp_key) != (public.jpeg_key, public.webp_key)
    assert not await services.media.exists(public.jpeg_key)
    for mime, data in (await files(app_client, republished)).items():
        state, manifest, _ = manifest_of(data, mime)
        assert state == "Valid"
        assert created_action(manifest)["parameters"]["description"] == \
            "a loud carnival at night"

    # The post page tells the verdict and links the credentials page, as the Note does.
    page = await (await app_client.get(f"/@alice/{shown.id}")).text()
    link = f"/credentials/{public.id}/{public.url_secret}"
    assert "Content credentials" in page and ">verified<" in page and link in page
    async with app[appkeys.DATABASE].reader() as session:
        status = await session.get(Status, shown.id)
    assert status is not None and f'href="http://dreamfeed.test{link}"' in status.content
    details = await app_client.get(link)
    text = await details.text()
    assert details.status == 200
    for words in ("verified", "a loud carnival at night", "dreamfeed-procedural 1",
                  "drawn by an algorithm", "not on the C2PA trust list"):
        assert words in text, words
    assert (await app_client.get(f"/credentials/{public.id}/{'0' * 16}")).status == 404
    # An image from before credentials: "not present", and the page links none (its
    # caption, written when it was posted, still does).
    async with app[appkeys.DATABASE].writer.begin() as session:
        row = await session.get(MediaAttachment, quiet.id)
        assert row is not None
        row.credentials = None
    page = await (await app_client.get(f"/@alice/{quiet.status_id}")).text()
    assert ">not present<" in page and "See the credentials" not in page


async def test_the_operators_certificate_signs(
        config: Config, tmp_path: Path,
        aiohttp_client: Callable[..., Awaitable[Client]]) -> None:
    identity = adapter.new_identity("Operator Studio")
    chain, key = tmp_path / "chain.pem", tmp_path / "key.pem"
    chain.write_bytes(identity.chain_pem)
    key.write_bytes(identity.key_pem)
    client = await aiohttp_client(create_app(dataclasses.replace(
        config, media=dataclasses.replace(config.media, c2pa_certificate=str(chain),
                                          c2pa_private_key=str(key)))))
    assert client.app is not None
    alice = await make_user(client.app[appkeys.DATABASE], client.app[appkeys.CONFIG])
    media = await generate(client, alice, "a lighthouse")
    state, manifest, _ = manifest_of((await files(client, media))["image/jpeg"], "image/jpeg")
    assert state == "Valid" and manifest["signature_info"]["common_name"] == "Operator Studio"
    async with client.app[appkeys.DATABASE].reader() as session:
        assert await session.get(InstanceSetting, credentials.CHAIN_SETTING) is None


@pytest.mark.parametrize("mime", ["image/png", "text/plain"])
def test_a_file_without_a_manifest_is_absent(mime: str) -> None:
    from tests.server.images.conftest import png
    assert adapter.read(png(), mime).state == adapter.ABSENT


@pytest.mark.parametrize("mime", ["image/jpeg", "image/webp"])
def test_signing_adds_the_manifest_not_a_thumbnail(mime: str) -> None:
    # The library embeds a claim thumbnail by default: a WebP grew from 127 KB to 1.5 MB.
    from PIL import Image

    from server.images.provenance import ALGORITHMIC_MEDIA, Provenance
    noise = Image.effect_noise((512, 512), 64).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "JPEG" if mime == "image/jpeg" else "WEBP", quality=85)
    data = out.getvalue()
    claims = adapter.Claims(provenance=Provenance(
        digital_source_type=ALGORITHMIC_MEDIA, generator="dreamfeed-procedural",
        software="Dreamfeed"), instance="Test")
    signed = adapter.sign(data, mime, claims, adapter.new_identity("Test"))
    assert adapter.read(signed, mime).validation == "Valid"
    assert len(signed) - len(data) < 32 * 1024, (len(data), len(signed))

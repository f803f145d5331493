"""Image descriptions on both databases, against a local OpenAI-compatible chat server with
image input (tests/server/images/fake_vision.py) reached through the production client: the
draft comes from the image alone (re-encoded, no metadata, no account data), the prompt only
when asked; refusals, timeouts and models without image input give clear messages; the
daily count, given back when the model failed; off without a model."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from PIL import Image

from server import appkeys
from server.app import create_app
from server.config import Config
from server.images.describe import ASK, INSTRUCTION, MAX_DESCRIPTION, parse_answer
from server.services.context import Services
from server.services.errors import NotFound
from server.services.generation import describe
from server.services.generation import generate as generation
from server.services.statuses import uploads
from storage import description_quotas
from storage.types import utcnow
from tests.conftest import make_test_config
from tests.server.images.conftest import Client, make_user
from tests.server.images.fake_vision import CAPTION, DESCRIPTION, KEY, FakeVision

ServerFactory = Callable[..., Awaitable[TestServer]]
PROMPT = "a lighthouse at dusk, secret project moonbeam"


@pytest.fixture
async def vision(aiohttp_server: ServerFactory) -> tuple[FakeVision, str]:
    fake = FakeVision()
    server = await aiohttp_server(fake.app())
    return fake, str(server.make_url("/v1"))


def _config(database_url: str, tmp_path: Path, url: str, **describe_: Any) -> Config:
    return make_test_config(database_url, tmp_path, describe={
        "base_url": url, "api_key": KEY, "model": "llava:13b", "timeout": 1,
        "daily_limit": 3, **describe_})


@pytest.fixture
async def app(database_url: str, tmp_path: Path, vision: tuple[FakeVision, str],
              aiohttp_client: Callable[..., Awaitable[Client]]) -> Client:
    return await aiohttp_client(create_app(_config(database_url, tmp_path, vision[1])))


def _parts(client: Client) -> tuple[Services, Any]:
    assert client.app is not None
    return client.app[appkeys.SERVICES], client.app


async def _generated(client: Client, account_id: int) -> int:
    """An image made by the in-process generator (its files carry our provenance packet)."""
    services, app = _parts(client)
    queued = await generation.request_generation(services, account_id, PROMPT,
                                                 size="256x256")
    await app[appkeys.WORKER_POOL].run_until_empty()
    done = await generation.get_generation(services, queued.id)
    assert done.state == "done"
    return done.media[0].id


async def _used(services: Services, account_id: int) -> int:
    async with services.db.reader() as session:
        return await description_quotas.used(session, account_id, utcnow().date())


async def test_a_draft_from_the_image_alone(app: Client, vision: tuple[FakeVision, str]
                                            ) -> None:
    fake, _url = vision
    services, _ = _parts(app)
    account_id = await make_user(services.db, services.config)
    media_id = await _generated(app, account_id)

    draft = await describe.draft_description(services, account_id, media_id)
    assert (draft.description, draft.caption, draft.model) == (DESCRIPTION, CAPTION,
                                                               "llava:13b")
    assert not draft.used_prompt
    assert (draft.quota.used, draft.quota.limit, draft.quota.left) == (1, 3, 2)
    # The request: the documented instruction, "Describe this image." and the image; the
    # private prompt nowhere, no account data (no `user`, no names).
    body = fake.received[-1]
    assert fake.last_text() == ASK and PROMPT not in str(body)
    assert body["messages"][0]["content"] == INSTRUCTION
    assert "user" not in body and "alice" not in str(body)
    assert body["model"] == "llava:13b"
    assert fake.images[-1].size == (256, 256)
    assert await _used(services, account_id) == 1


async def test_the_prompt_only_when_the_author_asks(app: Client,
                                                    vision: tuple[FakeVision, str]) -> None:
    fake, _url = vision
    services, _ = _parts(app)
    account_id = await make_user(services.db, services.config)
    media_id = await _generated(app, account_id)
    draft = await describe.draft_description(services, account_id, media_id,
                                             include_prompt=True)
    assert draft.used_prompt
    assert fake.last_text().startswith(ASK) and fake.last_text().endswith(PROMPT)


async def test_an_uploaded_image_and_someone_elses(app: Client,
                                                   vision: tuple[FakeVision, str]) -> None:
    fake, _url = vision
    services, _ = _parts(app)
    alice = await make_user(services.db, services.config)
    bob = await make_user(services.db, services.config, "bob")
    buffer = io.BytesIO()
    # A large photo with EXIF: shown to the model at most 1536 px, without it.
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    Image.new("RGB", (3000, 1000), (200, 40, 40)).save(buffer, "JPEG", exif=exif)
    state = await uploads.upload(services, alice, buffer.getvalue(), description=None,
                                 focus=None, synchronous=True)
    media_id = state.parts.id
    draft = await describe.draft_description(services, alice, media_id, include_prompt=True)
    assert draft.description == DESCRIPTION and not draft.used_prompt
    assert fake.images[-1].size == (1536, 512)
    with pytest.raises(NotFound):
        await describe.draft_description(services, bob, media_id)
    assert len(fake.received) == 1 and await _used(services, bob) == 0


@pytest.mark.parametrize(("setup", "error", "words", "counted"), [
    (lambda f: setattr(f, "delay", 3), describe.DescriptionUnavailable,
     "did not answer within 1 seconds", 0),
    (lambda f: f.fail(400, "Invalid content type. image_url is only supported by certain "
                      "models."), describe.DescriptionRefused, "does not accept images", 0),
    (lambda f: f.fail(404, "The model `llava:13b` does not exist", code="model_not_found"),
     describe.DescriptionRefused, "does not accept images", 0),
    (lambda f: f.fail(500, "The server had an error", type="server_error"),
     describe.DescriptionUnavailable, "failed (HTTP 500)", 0),
    (lambda f: setattr(f, "refusal", "I'm sorry, I can't help with that."),
     describe.DescriptionRefused, "declined to describe this image", 1),
    (lambda f: f.fail(400, "Your request was rejected by our content policy.",
                      code="content_policy_violation"),
     describe.DescriptionRefused, "declined to describe this image", 1),
])
async def test_failures_say_why_and_give_the_count_back(
        app: Client, vision: tuple[FakeVision, str], setup: Callable[[FakeVision], None],
        error: type[Exception], words: str, counted: int) -> None:
    fake, _url = vision
    services, _ = _parts(app)
    account_id = await make_user(services.db, services.config)
    media_id = await _generated(app, account_id)
    setup(fake)
    with pytest.raises(error) as caught:
        await describe.draft_description(services, account_id, media_id)
    message = str(caught.value)
    assert words in message and message[0].islower()
    assert await _used(services, account_id) == counted


async def test_the_daily_limit(app: Client, vision: tuple[FakeVision, str]) -> None:
    fake, _url = vision
    services, _ = _parts(app)
    account_id = await make_user(services.db, services.config)
    media_id = await _generated(app, account_id)
    for left in (2, 1, 0):
        draft = await describe.draft_description(services, account_id, media_id)
        assert draft.quota.left == left
    with pytest.raises(describe.DescribeQuotaExceeded, match="all 3 used today"):
        await describe.draft_description(services, account_id, media_id)
    assert len(fake.received) == 3


def test_where_the_model_comes_from(tmp_path: Path) -> None:
    url = "sqlite+aiosqlite:///x.db"
    off = make_test_config(url, tmp_path)
    assert describe.describer(off) is None and not describe.enabled(off)
    # OpenAI by default when its key is known; not another service's key.
    openai_key = make_test_config(url, tmp_path, generator={"api_key": "sk-openai"})
    client = describe.describer(openai_key)
    assert client is not None
    assert (client.endpoint.base_url, client.endpoint.api_key, client.model) == (
        "https://api.openai.com/v1", "sk-openai", "gpt-4.1-mini")
    local_images = make_test_config(url, tmp_path, generator={
        "api_key": "sk-localai", "base_url": "http://127.0.0.1:8080/v1"})
    assert describe.describer(local_images) is None
    # A local server (Ollama) needs no key; `enabled = false` turns it off anyway.
    ollama = make_test_config(url, tmp_path, describe={
        "base_url": "http://127.0.0.1:11434/v1", "model": "qwen2.5vl"})
    client = describe.describer(ollama)
    assert client is not None and (client.endpoint.api_key, client.model) == ("", "qwen2.5vl")
    assert describe.describer(make_test_config(url, tmp_path, describe={
        "base_url": "http://127.0.0.1:11434/v1", "enabled": False})) is None


async def test_off_says_so(database_url: str, tmp_path: Path,
                           aiohttp_client: Callable[..., Awaitable[Client]]) -> None:
    client = await aiohttp_client(create_app(make_test_config(database_url, tmp_path)))
    services, _ = _parts(client)
    account_id = await make_user(services.db, services.config)
    with pytest.raises(describe.DescriptionsOff, match="not set up on this server"):
        await describe.draft_description(services, account_id, 1)


def test_answers_are_read_leniently() -> None:
    assert parse_answer('```json\n{"alt_text": "Image of a red fox in snow.", '
                        '"caption": "Winter."}\n```') == ("A red fox in snow.", "Winter.")
    # A model that writes prose anyway: the prose is the description.
    assert parse_answer("A photo of two cats\n\non a sofa.") == ("Two cats on a sofa.", "")
    long = " ".join(["A long sentence about the picture."] * 80)
    text, _caption = parse_answer(long)
    assert len(text) <= MAX_DESCRIPTION and text.endswith(".")

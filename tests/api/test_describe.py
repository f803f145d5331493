"""POST /api/v1/dreamfeed/media/:id/describe through Mastodon.py's raw request: a vision model
(the local OpenAI-compatible chat server of tests/server/images/fake_vision.py) drafts the
alt text of an app's upload; the instance advertises it in configuration.dreamfeed; clear
refusals when it is off, for another's image, and over the daily limit."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from mastodon import MastodonAPIError
from PIL import Image

from tests.api.harness import Api, open_api
from tests.server.images.fake_vision import CAPTION, DESCRIPTION, KEY, FakeVision

ServerFactory = Callable[..., Awaitable[TestServer]]


@pytest.fixture
async def vision(aiohttp_server: ServerFactory) -> tuple[FakeVision, str]:
    fake = FakeVision()
    server = await aiohttp_server(fake.app())
    return fake, str(server.make_url("/v1"))


@pytest.fixture
async def described(database_url: str, tmp_path: Path, vision: tuple[FakeVision, str]
                    ) -> AsyncIterator[Api]:
    async with open_api(database_url, tmp_path, describe={
            "base_url": vision[1], "api_key": KEY, "model": "llava:13b",
            "daily_limit": 2}) as opened:
        yield opened


def _png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (20, 160, 90)).save(buffer, "PNG")
    buffer.seek(0)
    return buffer


async def test_an_app_asks_for_a_draft(described: Api, vision: tuple[FakeVision, str]
                                       ) -> None:
    fake, _url = vision
    token = await described.user("alice", scopes="read write")
    masto = described.mastodon(token)
    instance = await asyncio.to_thread(masto.instance_v2)
    offer = instance["configuration"]["dreamfeed"]["describe"]
    assert offer == {"enabled": True, "model": "llava:13b", "max_characters": 1500,
                     "daily_limit": 2, "remaining_today": 2}

    raw: Any = masto._Mastodon__api_request  # type: ignore[attr-defined]
    # An app's upload (v1: processed before the answer, as no worker runs here).
    media = await asyncio.to_thread(raw, "POST", "/api/v1/media",
                                    files={"file": ("leaf.png", _png(), "image/png")})
    draft = await asyncio.to_thread(raw, "POST",
                                    f"/api/v1/dreamfeed/media/{media['id']}/describe")
    assert draft["media_id"] == str(media["id"])
    assert (draft["description"], draft["caption"]) == (DESCRIPTION, CAPTION)
    assert (draft["model"], draft["used_prompt"]) == ("llava:13b", False)
    assert (draft["daily_limit"], draft["remaining_today"]) == (2, 1)
    assert draft["resets_at"].endswith("T00:00:00.000Z")
    # Nothing saved: the app shows the draft, the author edits it, the app PUTs it.
    assert (await asyncio.to_thread(masto.media, media["id"]))["description"] is None
    edited = await asyncio.to_thread(masto.media_update, media["id"],
                                     description=draft["description"] + " Edited.")
    assert edited["description"].endswith("Edited.")
    assert len(fake.received) == 1 and "alice" not in str(fake.received[0])

    other = described.mastodon(await described.user("bob", scopes="read write"))
    with pytest.raises(MastodonAPIError) as caught:
        await asyncio.to_thread(other._Mastodon__api_request,  # type: ignore[attr-defined]
                                "POST", f"/api/v1/dreamfeed/media/{media['id']}/describe")
    assert caught.value.args[1] == 404

    await asyncio.to_thread(raw, "POST", f"/api/v1/dreamfeed/media/{media['id']}/describe")
    answer = await described.post(f"/api/v1/dreamfeed/media/{media['id']}/describe",
                                  token=token)
    assert answer.status == 429 and "daily description limit" in answer.body["error"]


async def test_without_a_model_it_is_off(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    instance = await api.get("/api/v2/instance", token=token)
    assert instance.body["configuration"]["dreamfeed"]["describe"]["enabled"] is False
    answer = await api.post("/api/v1/dreamfeed/media/1/describe", token=token)
    assert answer.status == 422
    assert answer.body["error"].startswith("image descriptions are not set up")

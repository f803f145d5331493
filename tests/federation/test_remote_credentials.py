"""Remote images' content credentials (C2PA), checked when they are cached: a signed
JPEG from another server is verified, a plain PNG has none, a signed file changed after
signing is invalid; the post page says so for each (SQLite and PostgreSQL)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from server.images import credentials as adapter
from server.images.provenance import Provenance
from storage.models import RemoteMedia
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeActor, FakeRemote
from tests.federation.harness import Instance
from tests.federation.interactions_helpers import alice_follows, create, media, note, post, send


def jpeg(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 64), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def signed_elsewhere(colour: tuple[int, int, int]) -> bytes:
    """A JPEG as another C2PA-signing server would send it."""
    claims = adapter.Claims(Provenance("trainedAlgorithmicMedia", "their-model 3",
                                       "Elsewhere 2.0"), instance="elsewhere.example")
    return adapter.sign(jpeg(colour), "image/jpeg", claims,
                        adapter.new_identity("elsewhere.example"))


@pytest.fixture
async def a(start: StartInstance) -> Instance:
    instance = await start("a")
    await instance.add_user("alice")
    return instance


@pytest.fixture
async def carol(a: Instance, masto: FakeRemote) -> FakeActor:
    actor = masto.add_actor("carol")
    await alice_follows(a, masto, actor)
    return actor


async def test_remote_images_are_checked_when_cached(a: Instance, masto: FakeRemote,
                                                     carol: FakeActor) -> None:
    tampered = bytearray(signed_elsewhere((20, 160, 60)))
    tampered[-40] ^= 0x01
    urls = [masto.serve_bytes("/system/media/signed.jpg", signed_elsewhere((200, 40, 90)),
                              "image/jpeg"),
            masto.serve_bytes("/system/media/plain.jpg", jpeg((40, 90, 200)), "image/jpeg"),
            masto.serve_bytes("/system/media/tampered.jpg", bytes(tampered), "image/jpeg")]
    doc = note(carol, attachment=[{"type": "Document", "mediaType": "image/jpeg", "url": url,
                                   "name": "alt"} for url in urls])
    row = await send(masto, carol, a, create(carol, doc))
    assert row.state == "applied", row.error
    status = await post(a, doc["id"])
    assert status is not None
    rows: list[RemoteMedia] = await media(a, status.id)
    assert [m.cache_state for m in rows] == ["cached"] * 3
    assert [m.credentials for m in rows] == ["verified", "absent", "invalid"]

    async with masto.session.get(f"{a.base}/@carol@{masto.domain}/{status.id}") as response:
        assert response.status == 200
        page = await response.text()
    for number, words in ((1, "verified"), (2, "not present"), (3, "invalid")):
        assert f"Image {number}:" in page and f">{words}<" in page, words
    # Ours are re-encoded copies: no link to a credentials page of theirs.
    assert "See the credentials" not in page

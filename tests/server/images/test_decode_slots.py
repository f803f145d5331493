"""One process-wide limit on concurrent decodes: however many threads ask at once (visitors,
uploads, jobs), no more images than `[media] decode_concurrency` are decoded together."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from server.images import decode_slots
from server.images.pipeline import (
    Limits,
    MediaError,
    process_image,
    process_profile_image,
    process_remote,
)
from server.images.provenance import Provenance
from tests.server.images.conftest import png

LIMITS = Limits(max_pixels=33_177_600, max_size=16_777_216)
MODEL = Provenance("trainedAlgorithmicMedia", "gpt-image-2", "Dreamfeed 0.1.0")


@pytest.fixture
def two_slots() -> Iterator[None]:
    before = decode_slots.size()
    decode_slots.configure(2)
    decode_slots.most_busy(reset=True)
    yield
    decode_slots.configure(before)


def test_concurrent_decodes_are_bounded(two_slots: None) -> None:
    data = png((1600, 1600))
    work = [lambda: process_image(data, MODEL, LIMITS),
            lambda: process_remote(data, LIMITS),
            lambda: process_profile_image(data, LIMITS, (400, 400))] * 4
    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        results = list(pool.map(lambda job: job(), work))
    assert len(results) == 12
    assert decode_slots.most_busy() == 2


def test_a_refused_image_takes_no_slot_for_long_and_frees_it(two_slots: None) -> None:
    for _ in range(5):  # more refusals than slots: each one gave its slot back
        with pytest.raises(MediaError):
            process_remote(png((300, 300)), Limits(max_pixels=1000, max_size=10**6))
    assert process_remote(png((300, 300)), LIMITS).width == 300


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least one"):
        decode_slots.configure(0)

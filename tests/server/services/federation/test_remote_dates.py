"""A remote post's id against the local post it answers, minted in the same second."""

from __future__ import annotations

from datetime import timedelta

from server.services.federation.inbound.dates import clamped, id_dated
from storage.ids import new_id
from storage.types import utcnow


def test_a_reply_published_to_the_whole_second_sorts_after_its_parent() -> None:
    parent = new_id()
    # The remote reply came a moment later; its server sent the time without milliseconds.
    published = utcnow().replace(microsecond=0)
    assert id_dated(published) >> 16 >= parent >> 16  # the same millisecond at the least


def test_a_precise_time_is_kept() -> None:
    at = utcnow() - timedelta(minutes=5, microseconds=1500)
    assert id_dated(at) >> 16 == int(at.timestamp() * 1000)


def test_no_time_and_future_times_are_now() -> None:
    before = new_id()
    # The same millisecond at the least: a dated id's low bits are random, not a sequence.
    assert id_dated(None) >> 16 >= before >> 16
    assert id_dated(utcnow() + timedelta(days=365)) >> 16 <= new_id() >> 16
    assert clamped(utcnow() + timedelta(days=1)) <= utcnow()

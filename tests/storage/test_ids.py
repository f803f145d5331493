from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.ids import id_floor, id_time, new_id, parse_id


def test_ids_increase_and_fit_64_bits() -> None:
    ids = [new_id() for _ in range(5000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(0 < i < 2**63 for i in ids)


def test_ids_encode_their_time() -> None:
    before = datetime.now(UTC) - timedelta(milliseconds=1)
    row_id = new_id()
    assert before <= id_time(row_id) <= datetime.now(UTC)


def test_ids_from_published_sort_by_time() -> None:
    old = datetime(2020, 5, 1, 12, 0, tzinfo=UTC)
    older = old - timedelta(seconds=1)
    a, b = new_id(old), new_id(older)
    assert b < a < new_id()
    assert id_floor(old) <= a < id_floor(old + timedelta(milliseconds=1))
    assert abs(id_time(a) - old) < timedelta(milliseconds=1)


def test_same_published_ms_gives_distinct_ids() -> None:
    at = datetime(2024, 1, 1, tzinfo=UTC)
    assert len({new_id(at) for _ in range(200)}) > 190


def test_parse_id() -> None:
    assert parse_id("123") == 123
    assert parse_id(None) is None and parse_id("") is None
    assert parse_id("abc") is None and parse_id("-1") is None and parse_id(str(2**63)) is None

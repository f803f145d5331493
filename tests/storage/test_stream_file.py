"""The events file of the SQLite bus: lines appended by one process, followed by another."""

from __future__ import annotations

from pathlib import Path

from storage import stream_file


def test_the_path_sits_beside_the_database_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/dreamfeed.db"
    assert stream_file.path_for(url) == tmp_path / "dreamfeed.db-events"
    assert stream_file.path_for("sqlite+aiosqlite:///:memory:") is None
    assert stream_file.path_for("sqlite+aiosqlite://") is None


def test_a_tail_reads_what_is_added_after_it_starts(tmp_path: Path) -> None:
    path = tmp_path / "db-events"
    stream_file.append(path, '{"kind":"old"}')
    tail = stream_file.Tail(path)
    assert not tail.changed() and tail.read() == []
    stream_file.append(path, '{"kind":"a"}')
    stream_file.append(path, '{"kind":\n"b"}')  # a newline inside cannot split an event
    assert tail.changed()
    assert tail.read() == ['{"kind":"a"}', '{"kind": "b"}']
    assert tail.read() == []


def test_a_line_being_written_is_read_once_complete(tmp_path: Path) -> None:
    path = tmp_path / "db-events"
    tail = stream_file.Tail(path)  # no file yet
    with path.open("ab") as file:
        file.write(b'{"kind":')
    assert tail.read() == []
    with path.open("ab") as file:
        file.write(b'"a"}\n')
    assert tail.read() == ['{"kind":"a"}']


def test_the_server_empties_it_at_start_and_a_tail_follows_an_emptied_file(
        tmp_path: Path) -> None:
    path = tmp_path / "db-events"
    stream_file.append(path, '{"kind":"stale"}')
    first = stream_file.Tail(path)
    second = stream_file.Tail(path, empty=True)
    assert path.stat().st_size == 0
    stream_file.append(path, '{"kind":"new"}')
    assert first.read() == ['{"kind":"new"}']
    assert second.read() == ['{"kind":"new"}']

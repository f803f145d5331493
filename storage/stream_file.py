"""The SQLite side of the stream bus: a file of event lines beside the database, for the
one case with no PostgreSQL and no Redis to carry events between processes: a CLI command
(`dreamfeed admin domain block`) changing what the running `dreamfeed serve` keeps in
memory. The command appends its events (one line each, a single O_APPEND write, so lines
from two commands never interleave); the server follows the file from its end, checking its
size a few times a second (a stat: no query, no lock). Events are a few hundred bytes and CLI
commands rare: the file stays small, and the server empties it when it starts."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sqlalchemy.engine import make_url

SUFFIX = "-events"
# Only this much is read per check: a burst larger than that is read over the next checks.
READ_LIMIT = 1 << 20


def path_for(database_url: str) -> Path | None:
    """The events file of an SQLite database file; None for an in-memory database (no other
    process can open it)."""
    name = make_url(database_url).database
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        return None
    return Path(name + SUFFIX)


def append(path: Path, line: str) -> None:
    """Add one event line (blocking: call it from a thread)."""
    data = (line.replace("\n", " ") + "\n").encode()
    # Readable by others (ids only, nothing secret): a command run as another user (root)
    # than the server still reaches it.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


class Tail:
    """Follows the file from where it ended when made (blocking calls: run in a thread)."""

    def __init__(self, path: Path, *, empty: bool = False) -> None:
        """`empty`: truncate the file first (the server at its start: nothing older is
        news)."""
        self.path = path
        if empty and path.exists():
            # Made by a command run as another user: followed from its end instead.
            with contextlib.suppress(OSError), path.open("r+b") as file:
                file.truncate(0)
        self._offset = self._size()
        self._partial = b""

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def changed(self) -> bool:
        """Whether there is more to read (one stat)."""
        return self._size() != self._offset

    def read(self) -> list[str]:
        """The complete lines added since the last read."""
        size = self._size()
        if size < self._offset:  # emptied meanwhile: start over
            self._offset, self._partial = 0, b""
        if size == self._offset:
            return []
        with self.path.open("rb") as file:
            file.seek(self._offset)
            data = file.read(min(size - self._offset, READ_LIMIT))
        self._offset += len(data)
        *lines, self._partial = (self._partial + data).split(b"\n")
        return [line.decode(errors="replace") for line in lines if line.strip()]

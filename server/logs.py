"""Logging setup: one line per event, as text (key=value) or JSON.

Every request writes a line, so a line must cost little next to a small request (~30 µs for
a bare aiohttp handler): the caller's file and line, thread and process names are not
looked up (neither format shows them), the timestamp's seconds are formatted once per
second, the lines of one turn of the event loop go out in one write (`LineHandler`), and
the request line skips the LogRecord machinery when nothing but our own handler would see
the record (`log_request`: the same line, a third of the cost).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import sys
import time
import traceback
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

_BLANK = vars(logging.LogRecord("", 0, "", 0, "", None, None))
# Attributes every LogRecord has; anything else passed via `extra=` is a structured field.
_STANDARD = frozenset(_BLANK) | {"message", "asctime"}
# A record's own attributes come first in its __dict__ (LogRecord.__init__ sets them, then
# makeRecord adds `extra`): its fields are among those after them.
_OWN = len(_BLANK)
# More lines than this wait for no turn of the loop: one write for them now.
_BATCH = 256

Fields = Sequence[tuple[str, Any]]


def _fields(record: logging.LogRecord) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in itertools.islice(vars(record).items(), _OWN, None)
            if k not in _STANDARD]


class _Stamps:
    """`2026-01-02T03:04:05.678Z` for a record's time, its seconds formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def text(self, created: float) -> str:
        second = int(created)
        if second != self._second:
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._prefix}.{int((created - second) * 1000):03d}Z"


class _LineFormatter(logging.Formatter):
    """Ours: a line from a record's parts (`line`), which `log_request` calls directly."""

    def format(self, record: logging.LogRecord) -> str:
        return self.line(record.created, record.levelname, record.name, record.getMessage(),
                         _fields(record), self.formatException(record.exc_info)
                         if record.exc_info else None)

    def line(self, created: float, level: str, name: str, message: str, fields: Fields,
             exception: str | None = None) -> str:
        raise NotImplementedError


class TextFormatter(_LineFormatter):
    def __init__(self) -> None:
        super().__init__()
        self._stamps = _Stamps()

    def line(self, created: float, level: str, name: str, message: str, fields: Fields,
             exception: str | None = None) -> str:
        parts = [self._stamps.text(created), level, name, message]
        parts += [f"{k}={_quote(v)}" for k, v in fields]
        line = " ".join(parts)
        return line if exception is None else line + "\n" + exception


class JsonFormatter(_LineFormatter):
    def line(self, created: float, level: str, name: str, message: str, fields: Fields,
             exception: str | None = None) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(created, UTC).isoformat(),
            "level": level,
            "logger": name,
            "message": message,
            **dict(fields),
        }
        if exception is not None:
            doc["exception"] = exception
        return json.dumps(doc, default=str)


def _quote(value: Any) -> str:
    if type(value) is int:
        return str(value)
    text = value if isinstance(value, str) else str(value)
    return json.dumps(text) if (" " in text or '"' in text or not text) else text


class LineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that writes the lines logged in one turn of the event loop (one per
    request answered in it) with one write, at the end of that turn, instead of a write and
    a flush each. A warning or worse, a line logged outside the loop's thread, and the
    process's exit (logging.shutdown flushes every handler) write what waits at once, in
    order."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        _handlers.add(self)

    def emit(self, record: logging.LogRecord) -> None:
        # Called with the handler's lock held (Handler.handle).
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self._queue(line, record.levelno)

    def write_line(self, line: str, levelno: int) -> None:
        """A line formatted by our formatter (log_request), as emit would write it."""
        with self.lock:  # type: ignore[union-attr]
            self._queue(line, levelno)

    def _queue(self, line: str, levelno: int) -> None:
        self._pending.append(line + self.terminator)
        if levelno >= logging.WARNING or len(self._pending) >= _BATCH:
            self._write_pending()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a thread, or no loop: nobody to wait for
            self._write_pending()
            return
        if len(self._pending) == 1:
            loop.call_soon(self.flush)

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write_pending()

    def _write_pending(self) -> None:
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        try:
            self.stream.write(text)
            if hasattr(self.stream, "flush"):
                self.stream.flush()
        except Exception:
            # A closed or broken stream: as Handler.handleError, say so and never raise.
            if logging.raiseExceptions and sys.stderr:
                sys.stderr.write("--- Logging error: lines lost ---\n")
                traceback.print_exc(file=sys.stderr)

    def forget_pending(self) -> None:
        """In a forked child: its parent writes these lines, not the child too."""
        self._pending.clear()


_handlers: weakref.WeakSet[LineHandler] = weakref.WeakSet()


def _forget_in_child() -> None:
    for handler in list(_handlers):
        handler.forget_pending()


os.register_at_fork(after_in_child=_forget_in_child)


# Fields every line of this process carries (a web child's pid), and the record factory
# that adds them to records: set by tag_every_line.
_tags: tuple[tuple[str, Any], ...] = ()
_factory: Any = logging.LogRecord


def tag_every_line(**fields: Any) -> None:
    """Every log line of this process carries `fields` (the lines of N web processes share
    one stderr: each child names its pid), records and direct request lines alike."""
    global _tags, _factory
    factory = logging.getLogRecordFactory()

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        record.__dict__.update(fields)  # LogRecord declares no such fields
        return record

    _tags = (*_tags, *fields.items())
    _factory = make
    logging.setLogRecordFactory(make)


def _sole_handler(logger: logging.Logger, level: int) -> LineHandler | None:
    """Our LineHandler with our formatter when it is all that a record of `logger` at
    `level` would reach (no filter, no other handler on the way: not under pytest's caplog,
    not with an operator's own logging setup); None otherwise."""
    if logger.filters or logger.disabled or logging.getLogRecordFactory() is not _factory:
        return None  # (a record factory of someone else's adds what we cannot know)
    root = logging.root
    # Records propagate through the ancestors' handlers (not their filters) up to the root.
    ancestor: logging.Logger | None = logger
    while ancestor is not root:
        if ancestor is None or ancestor.handlers or not ancestor.propagate:
            return None
        ancestor = ancestor.parent
    handlers = root.handlers
    if len(handlers) != 1:
        return None
    handler = handlers[0]
    if type(handler) is not LineHandler or handler.filters or level < handler.level \
            or not isinstance(handler.formatter, _LineFormatter):
        return None
    return handler


def log_request(logger: logging.Logger, level: int, method: str, path_qs: str,
                fields: Fields) -> None:
    """`logger.log(level, "%s %s", method, path_qs, extra=dict(fields))`, written directly
    by our handler (no LogRecord, no logging machinery) when the record would reach it
    alone: the same line either way."""
    if not logger.isEnabledFor(level):
        return
    handler = _sole_handler(logger, level)
    if handler is None:
        logger.log(level, "%s %s", method, path_qs, extra=dict(fields))
        return
    formatter = handler.formatter
    assert isinstance(formatter, _LineFormatter)
    try:
        line = formatter.line(time.time(), logging.getLevelName(level), logger.name,
                              f"{method} {path_qs}", (*_tags, *fields) if _tags else fields)
    except Exception:  # as Handler.emit: a line that cannot be made is not a failed request
        logger.log(level, "%s %s", method, path_qs, extra=dict(fields))
        return
    handler.write_line(line, level)


def setup_logging(level: str, fmt: str) -> None:
    handler = LineHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in root.handlers:
        old.flush()  # what an earlier setup's handler still holds goes out before it goes
    root.handlers[:] = [handler]
    root.setLevel(level)
    # What neither format shows is not gathered for every record (the logging module's own
    # "Optimization" switches): the caller's frame, thread, process and multiprocessing names.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # aiohttp's own access log is replaced by our request-logging middleware.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

"""server.logs: the request line written directly (log_request) is the line the logging
machinery writes for the same record, in both formats; lines of one turn of the event loop go
out together at its end, a warning or a line from another thread at once, and nothing waits
past a flush (the process's exit)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from server import logs
from server.logs import LineHandler, log_request, setup_logging

FIELDS = (("request_id", "abc123"), ("client", "198.51.100.7"), ("status", 200), ("ms", 0.4),
          ("note", "two words"))


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Our logging setup, writing into a StringIO; the root logger's handlers as they were
    afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    out = io.StringIO()
    yield out
    root.handlers[:], level = saved
    root.setLevel(level)


def _setup(fmt: str, out: io.StringIO) -> LineHandler:
    setup_logging("INFO", fmt)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, LineHandler)
    handler.setStream(out)
    return handler


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_direct_request_line_is_the_logging_line(fmt: str, stream: io.StringIO,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    handler = _setup(fmt, stream)
    logging.getLogger("dreamfeed")  # a parent in between, as `dreamfeed serve` has
    log = logging.getLogger("dreamfeed.request")
    records = []
    make = log.makeRecord

    def counting(*args: Any, **kwargs: Any) -> logging.LogRecord:
        records.append(args[0])
        return make(*args, **kwargs)

    monkeypatch.setattr(log, "makeRecord", counting)
    log.info("%s %s", "GET", "/tags/café?max_id=5", extra=dict(FIELDS))
    log_request(log, logging.INFO, "GET", "/tags/café?max_id=5", FIELDS)
    assert records == ["dreamfeed.request"]  # the direct line made no record
    handler.flush()
    via_logging, direct = stream.getvalue().splitlines()
    if fmt == "json":
        first, second = json.loads(via_logging), json.loads(direct)
        assert first.pop("time")[:19] == second.pop("time")[:19]
        assert first == second == {
            "level": "INFO", "logger": "dreamfeed.request",
            "message": "GET /tags/café?max_id=5", **dict(FIELDS)}
    else:
        # The same line but for the milliseconds of its time stamp.
        assert via_logging[:19] == direct[:19]
        assert via_logging[25:] == direct[25:] == (
            'INFO dreamfeed.request GET /tags/café?max_id=5 request_id=abc123 '
            'client=198.51.100.7 status=200 ms=0.4 note="two words"')


def test_request_line_is_a_record_when_others_listen(
        stream: io.StringIO, caplog: pytest.LogCaptureFixture) -> None:
    """Another handler on the way (pytest's, an operator's): a real record, with its fields."""
    _setup("text", stream)
    logging.getLogger().addHandler(caplog.handler)  # setup_logging replaced the handlers
    log = logging.getLogger("dreamfeed.request")
    with caplog.at_level(logging.INFO, logger="dreamfeed.request"):
        log_request(log, logging.INFO, "GET", "/x", FIELDS)
    record = next(r for r in caplog.records if r.name == "dreamfeed.request")
    assert record.getMessage() == "GET /x"
    assert record.request_id == "abc123"  # type: ignore[attr-defined]
    assert record.status == 200  # type: ignore[attr-defined]


def test_below_the_level_nothing_is_written(stream: io.StringIO) -> None:
    handler = _setup("text", stream)
    log = logging.getLogger("dreamfeed.request")
    log_request(log, logging.DEBUG, "GET", "/livez", FIELDS)
    handler.flush()
    assert stream.getvalue() == ""


async def test_one_write_per_turn_of_the_loop(stream: io.StringIO) -> None:
    handler = _setup("text", stream)
    log = logging.getLogger("dreamfeed.request")
    for n in range(3):
        log_request(log, logging.INFO, "GET", f"/{n}", FIELDS)
    assert stream.getvalue() == ""  # waiting for the end of this turn
    await asyncio.sleep(0)
    assert [line.split()[4] for line in stream.getvalue().splitlines()] == ["/0", "/1", "/2"]
    # A warning goes out at once, after what waited before it.
    log_request(log, logging.INFO, "GET", "/3", FIELDS)
    logging.getLogger("dreamfeed.test").warning("database unavailable")
    lines = stream.getvalue().splitlines()
    assert lines[-2].split()[4] == "/3" and lines[-1].endswith("database unavailable")
    # Logged from another thread: at once too.
    thread = threading.Thread(target=log.info, args=("from a thread",))
    thread.start()
    thread.join()
    assert stream.getvalue().splitlines()[-1].endswith("from a thread")
    # A flush (logging.shutdown at exit) writes what waits.
    log_request(log, logging.INFO, "GET", "/4", FIELDS)
    handler.flush()
    assert stream.getvalue().splitlines()[-1].split()[4] == "/4"


def test_without_a_loop_each_line_is_written_at_once(stream: io.StringIO) -> None:
    _setup("json", stream)
    logging.getLogger("dreamfeed.cli").info("done", extra={"count": 3})
    assert json.loads(stream.getvalue())["count"] == 3


def test_a_tagged_process_tags_direct_lines_too(stream: io.StringIO,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A web child's pid (server.processes) on every line, the direct request line too."""
    monkeypatch.setattr(logs, "_tags", ())
    monkeypatch.setattr(logs, "_factory", logging.LogRecord)
    factory = logging.getLogRecordFactory()
    handler = _setup("text", stream)
    log = logging.getLogger("dreamfeed.request")
    try:
        logs.tag_every_line(pid=4242)
        log.info("%s %s", "GET", "/x", extra=dict(FIELDS))
        log_request(log, logging.INFO, "GET", "/x", FIELDS)
    finally:
        logging.setLogRecordFactory(factory)
    handler.flush()
    via_logging, direct = stream.getvalue().splitlines()
    assert via_logging[25:] == direct[25:]
    assert direct[25:].startswith("INFO dreamfeed.request GET /x pid=4242 request_id=abc123")
    # Someone else's record factory: the logging machinery, so what it adds is not lost.
    logging.setLogRecordFactory(lambda *args, **kwargs: factory(*args, **kwargs))
    try:
        log_request(log, logging.INFO, "GET", "/y", FIELDS)
    finally:
        logging.setLogRecordFactory(factory)
    handler.flush()
    assert stream.getvalue().splitlines()[-1].split()[4] == "/y"

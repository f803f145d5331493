"""activitypub.jsonbody: untrusted JSON decodes to a bounded depth, or raises ValueError."""

from __future__ import annotations

import pytest

from activitypub.jsonbody import MAX_DEPTH, JSONInputError, loads, nesting_depth_ok


def nested(depth: int) -> bytes:
    return b'{"a":' * (depth - 1) + b"[1]" + b"}" * (depth - 1)


def test_ordinary_documents_decode() -> None:
    assert loads(b'{"type": "Note", "tag": [{"href": "x"}]}') == {
        "type": "Note", "tag": [{"href": "x"}]}
    assert loads('"text"') == "text"
    assert loads(b"\xef\xbb\xbf[1]") == [1]  # a UTF-8 BOM is ignored (RFC 8259 8.1)


def test_brackets_inside_strings_do_not_count() -> None:
    doc = {"content": "[[[[{{{{ \\\" ]]]] }}", "n": [[]]}
    assert loads(b'{"content": "[[[[{{{{ \\\\\\" ]]]] }}", "n": [[]]}') == doc


@pytest.mark.parametrize("body", [b"[" * 100_000, b"[" * 100_000 + b"]" * 100_000,
                                  nested(MAX_DEPTH + 1)],
                         ids=["open", "balanced", "just-too-deep"])
def test_deep_nesting_is_refused_as_malformed(body: bytes) -> None:
    with pytest.raises(JSONInputError, match="nested deeper"):
        loads(body)


def test_the_limit_itself_is_allowed() -> None:
    assert nesting_depth_ok(nested(MAX_DEPTH).decode())
    assert loads(nested(MAX_DEPTH)) is not None


@pytest.mark.parametrize("body", [b"\xff\xfe[", b"not json", b'{"a": 1'])
def test_other_garbage_is_a_value_error(body: bytes) -> None:
    with pytest.raises(ValueError):
        loads(body)

"""Attack payloads from tests/data/hostile/, with their placeholders filled in.

The files are templates: `${ORIGIN}` (the sender's base URL), `${ACTOR}`, `${TARGET}` and
`${NOTE}` are replaced as text, so JSON escapes such as "\\ud800" reach the server exactly as
written (json.dumps could not keep them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent.parent / "data" / "hostile"


def payload(name: str, **values: str) -> bytes:
    text = (CORPUS / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("${" + key + "}", value)
    assert "${" not in text, f"{name}: a placeholder was left unfilled"
    return text.encode()


def document(name: str, **values: str) -> Any:
    """The payload decoded, for parser tests."""
    return json.loads(payload(name, **values))

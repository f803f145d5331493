"""Whether a failure is an outage (the database unreachable) rather than a bug: handlers
answer the one with 503 and the other with 500, and may not read storage themselves."""

from __future__ import annotations

from storage.database import unavailable_reason


def database_down(exc: BaseException) -> bool:
    return unavailable_reason(exc) is not None

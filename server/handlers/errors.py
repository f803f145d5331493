"""Service errors as HTTP statuses: the one table every handler answers with.

The statuses follow Mastodon's API (app/controllers/concerns/api/error_handling.rb): 404 for
what is not there or not visible, 403 for what is not permitted, 422 for input the service
refuses (its fallback), 429 when rate limited, 503 when a service we depend on is down; 401
for credentials refused and 410 for what was deleted for good, as Mastodon answers those.
Mastodon has no 409; ours means "not in this state" (already suspended, image already in a
post, an idempotency key reused), which HTTP calls a conflict with the resource's state.
"""

from __future__ import annotations

from server.services.accounts.registrations import RegistrationsClosed
from server.services.accounts.web_sessions import SignInRefused
from server.services.errors import (
    AccountSuspended,
    Conflict,
    Forbidden,
    GenerationDisabled,
    Gone,
    InvalidInput,
    NotFound,
    RateLimited,
    ServiceError,
)
from server.services.generation.describe import DescriptionUnavailable
from server.services.generation.generate import QuotaExceeded
from server.services.generation.prompt_moderation import ModerationUnavailable

# First match wins; subclasses before their bases.
STATUSES: tuple[tuple[type[ServiceError], int], ...] = (
    (RateLimited, 429),
    (QuotaExceeded, 429),
    (SignInRefused, 401),
    (NotFound, 404),
    (Gone, 410),
    (Forbidden, 403),
    (AccountSuspended, 403),
    (GenerationDisabled, 403),
    (RegistrationsClosed, 403),
    (Conflict, 409),
    (ModerationUnavailable, 503),
    (DescriptionUnavailable, 503),
    (InvalidInput, 422),
)
# Every other refusal (a prompt refused, a remote account not found...) is input refused.
FALLBACK_STATUS = 422


def status_for(exc: ServiceError) -> int:
    for cls, status in STATUSES:
        if isinstance(exc, cls):
            return status
    return FALLBACK_STATUS


def retry_headers(exc: ServiceError) -> dict[str, str]:
    """Retry-After for a rate-limited request, nothing otherwise."""
    return {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else {}

"""The one module that imports `openai`: the client for an OpenAI-compatible endpoint and what
its failures mean. The image backend (Images API), the prompt check (moderations) and the
describer (chat with image input) each say a failure in their own words; which failure it
was is decided here, once.

openai is imported lazily: the package takes about a second to import, which every
`dreamfeed` command would otherwise pay.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import openai

OPENAI_BASE_URL = "https://api.openai.com/v1"
OPENAI_HOST = urlsplit(OPENAI_BASE_URL).netloc
# Error codes and types that OpenAI and compatible servers give a refused prompt or image.
CONTENT_POLICY_CODES = frozenset({"moderation_blocked", "content_policy_violation",
                                  "content_filter", "safety_violation"})
QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached",
                         "billing_not_active"})


class Failure(Enum):
    TIMEOUT = "timeout"  # no answer in time
    UNREACHABLE = "unreachable"  # no connection
    UNREADABLE = "unreadable"  # an answer the client could not read
    AUTH = "auth"  # the key was refused (401, 403)
    QUOTA = "quota"  # quota or billing used up
    CONTENT_POLICY = "content_policy"  # the service refused the content
    RATE_LIMITED = "rate_limited"  # 429
    SERVER_ERROR = "server_error"  # 5xx, 408, 409: worth another try
    NOT_FOUND = "not_found"  # no such model or endpoint
    REJECTED = "rejected"  # any other 4xx


@dataclass(frozen=True)
class ServiceFailure:
    kind: Failure
    status: int | None  # the HTTP status, when there was an answer
    detail: str  # the service's own message, else "HTTP <status>", else the client's error
    retry_after: float | None = None  # seconds, from a Retry-After header


@dataclass(frozen=True)
class Endpoint:
    """Where a client talks to: the operator configured it, so it is trusted (the client's
    own HTTP stack is used, not the federation client that refuses private addresses)."""

    base_url: str
    api_key: str
    model: str
    timeout: float

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    def client(self) -> openai.AsyncOpenAI:
        """A client that never retries: the caller decides whether trying again can help,
        so a spent quota is never hammered. OpenAI-compatible servers without
        authentication still get a token."""
        import openai

        return openai.AsyncOpenAI(base_url=self.base_url, api_key=self.api_key or "none",
                                  timeout=self.timeout, max_retries=0)


def failure(exc: BaseException) -> ServiceFailure | None:
    """What an exception from a client call means; None when it is not the client's (a bug
    of ours, a cancellation), which the caller lets through."""
    import openai

    if not isinstance(exc, openai.OpenAIError):
        return None
    if isinstance(exc, openai.APITimeoutError):
        return ServiceFailure(Failure.TIMEOUT, None, str(exc))
    if isinstance(exc, openai.APIConnectionError):
        return ServiceFailure(Failure.UNREACHABLE, None, str(exc))
    if not isinstance(exc, openai.APIStatusError):
        return ServiceFailure(Failure.UNREADABLE, None, str(exc))
    status, detail, code = exc.status_code, _detail(exc), str(exc.code or "")
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        kind = Failure.AUTH
    elif code in QUOTA_CODES or exc.type == "insufficient_quota":
        kind = Failure.QUOTA
    elif code in CONTENT_POLICY_CODES or _names_a_policy(detail):
        kind = Failure.CONTENT_POLICY
    elif isinstance(exc, openai.RateLimitError):
        kind = Failure.RATE_LIMITED
    elif isinstance(exc, openai.InternalServerError) or status in (408, 409):
        kind = Failure.SERVER_ERROR
    elif isinstance(exc, openai.NotFoundError):
        kind = Failure.NOT_FOUND
    else:
        kind = Failure.REJECTED
    return ServiceFailure(kind, status, detail, _retry_after(exc))


def _names_a_policy(detail: str) -> bool:
    # OpenAI's Images API says "...rejected as a result of our safety system"; other servers
    # say "content policy".
    lowered = detail.lower()
    return "safety system" in lowered or "content policy" in lowered


def _detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])[:300]
    return f"HTTP {exc.status_code}"


def _retry_after(exc: openai.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None

"""ModerationClient: the one way the server asks OpenAI's moderation endpoint about a prompt
(POST {base_url}/moderations), through the official `openai` client's
`moderations.create`. The image backend (server.images.backend) talks to the Images API;
this module is its sibling for moderation, and imports openai lazily for the same reason
(the package takes about a second to import).

A client is opened per check and closed after it: checks are as rare as generation requests
(rate limited, a daily quota), so a long-lived connection pool buys nothing and would need
a lifecycle of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import openai

# A request waits on the check before the generation is queued: keep it short.
TIMEOUT = 15.0


class ModerationUnavailable(Exception):
    """The moderation service could not give an answer; `message` says why (for logs and
    the administrator; users get a shorter "try again")."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ModerationVerdict:
    flagged: bool
    # The flagged categories in OpenAI's own names ("violence", "self-harm/intent").
    categories: tuple[str, ...]


class ModerationClient:
    def __init__(self, *, base_url: str, api_key: str, model: str,
                 timeout: float = TIMEOUT) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.model = model
        self.timeout = timeout

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    async def check(self, text: str) -> ModerationVerdict:
        import openai

        # No retries here: the caller fails closed and the user is told to try again.
        async with openai.AsyncOpenAI(base_url=self.base_url, api_key=self.api_key,
                                      timeout=self.timeout, max_retries=0) as client:
            try:
                response = await client.moderations.create(input=text, model=self.model)
            except openai.OpenAIError as exc:
                raise ModerationUnavailable(self._describe(exc)) from exc
        if not response.results:
            raise ModerationUnavailable(f"the moderation service at {self.host} answered "
                                        "without results")
        categories: list[str] = []
        flagged = False
        for result in response.results:
            flagged = flagged or bool(result.flagged)
            # by_alias: OpenAI's names ("self-harm/intent"), not the SDK's attribute names.
            for name, value in result.categories.model_dump(by_alias=True).items():
                if value is True and name not in categories:
                    categories.append(name)
        return ModerationVerdict(flagged=flagged, categories=tuple(categories))

    def _describe(self, exc: openai.OpenAIError) -> str:
        import openai

        if isinstance(exc, openai.APITimeoutError):
            return f"the moderation service at {self.host} did not answer within " \
                f"{self.timeout:g} seconds"
        if isinstance(exc, openai.APIConnectionError):
            return f"the moderation service at {self.host} cannot be reached"
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return f"the moderation service at {self.host} refused this instance's API key " \
                "(check [moderation] openai_api_key)"
        if isinstance(exc, openai.APIStatusError):
            return f"the moderation service at {self.host} failed (HTTP {exc.status_code})"
        return f"the moderation service's answer could not be read: {exc}"

"""ModerationClient: the one way the server asks OpenAI's moderation endpoint about a prompt
(POST {base_url}/moderations), through the official `openai` client's
`moderations.create`. A sibling of server.images.backend (images) and
server.images.describe (descriptions); server.images.openai_api makes the client and says
what its failures mean.

A client is opened per check and closed after it: checks are as rare as generation requests
(rate limited, a daily quota), so a long-lived connection pool buys nothing and would need
a lifecycle of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.images import openai_api
from server.images.openai_api import Failure, ServiceFailure

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
        self.endpoint = openai_api.Endpoint(base_url, api_key, model, timeout)

    @property
    def host(self) -> str:
        return self.endpoint.host

    async def check(self, text: str) -> ModerationVerdict:
        # No retries here: the caller fails closed and the user is told to try again.
        async with self.endpoint.client() as client:
            try:
                response = await client.moderations.create(input=text,
                                                           model=self.endpoint.model)
            except Exception as exc:
                failed = openai_api.failure(exc)
                if failed is None:
                    raise
                raise ModerationUnavailable(self._describe(failed)) from exc
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

    def _describe(self, failed: ServiceFailure) -> str:
        service = f"the moderation service at {self.host}"
        if failed.kind is Failure.TIMEOUT:
            return f"{service} did not answer within {self.endpoint.timeout:g} seconds"
        if failed.kind is Failure.UNREACHABLE:
            return f"{service} cannot be reached"
        if failed.kind is Failure.AUTH:
            return f"{service} refused this instance's API key " \
                "(check [moderation] openai_api_key)"
        if failed.status is not None:
            return f"{service} failed (HTTP {failed.status})"
        return f"the moderation service's answer could not be read: {failed.detail}"

"""ImageBackend: the one way the server asks for images, through the official `openai` client.

`base_url` points at OpenAI, at Dreamfeed's generator service, or at another OpenAI-compatible
server (LocalAI, stable-diffusion.cpp). The operator chose that URL, so it is trusted: the
client's own HTTP stack is used, not the federation client that refuses private addresses.
The client does not retry (max_retries=0): the generation job decides, from BackendError's
`retryable`, whether trying again can help, so a spent quota is never hammered.

With its sibling server.images.moderation, the only module that imports openai. It does so
lazily: the package takes about a second to import, which every `dreamfeed` command would
otherwise pay.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from server.images.provenance import SOURCE_TYPES, TRAINED_ALGORITHMIC_MEDIA

if TYPE_CHECKING:
    import openai
    from openai.types import ImagesResponse

OPENAI_BASE_URL = "https://api.openai.com/v1"
_OPENAI_HOST = urlsplit(OPENAI_BASE_URL).netloc
MODERATION_CODES = frozenset({"moderation_blocked", "content_policy_violation",
                              "content_filter", "safety_violation"})
QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached",
                         "billing_not_active"})
# Models that always answer base64 and reject `response_format`.
_B64_ONLY_PREFIXES = ("gpt-image", "chatgpt-image")


@dataclass(frozen=True)
class ImageRequest:
    prompt: str
    size: str = "auto"
    quality: str = "auto"
    n: int = 1
    # Extensions understood by Dreamfeed's generator; sent only when set.
    style: str | None = None
    seed: int | None = None
    # Remixes: how far the image may move from its source, 0 to 1 (image-to-image strength).
    strength: float | None = None


@dataclass(frozen=True)
class GeneratedImage:
    data: bytes
    # What made it, for provenance: the model, or the generator engine with its version.
    generator: str
    digital_source_type: str
    # The model that drew it, as the service says (published with the prompt when asked).
    model: str = ""
    seed: int | None = None
    style: str | None = None
    revised_prompt: str | None = None


class BackendError(Exception):
    """The image service failed; `message` is fit for the user, `code` is one of refused,
    quota, auth, invalid, rate_limited, timeout, unavailable, bad_response."""

    def __init__(self, code: str, message: str, *, retryable: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after


class ImageBackend:
    """The client is made on first use (see _connect), so a process that never generates
    opens nothing."""

    def __init__(self, *, base_url: str, api_key: str, model: str, timeout: float) -> None:
        self.base_url = base_url or OPENAI_BASE_URL
        self.api_key = api_key
        self.model = model
        self.timeout = timeout
        self._client: openai.AsyncOpenAI | None = None
        self._lock = asyncio.Lock()

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    async def _connect(self) -> None:
        """Called once, before the first request: subclasses start what base_url names."""

    async def _api(self) -> openai.AsyncOpenAI:
        async with self._lock:
            if self._client is None:
                await self._connect()
                import openai

                # OpenAI-compatible servers without authentication still get a token.
                self._client = openai.AsyncOpenAI(base_url=self.base_url,
                                                  api_key=self.api_key or "none",
                                                  timeout=self.timeout, max_retries=0)
            return self._client

    async def close(self) -> None:
        async with self._lock:
            if self._client is not None:
                await self._client.close()
                self._client = None

    async def generate(self, request: ImageRequest) -> list[GeneratedImage]:
        client = await self._api()
        import openai

        try:
            response = await client.images.generate(
                prompt=request.prompt, n=request.n, **self._options(request))
        except openai.OpenAIError as exc:
            raise self._translate(exc) from exc
        return self._images(response)

    async def edit(self, request: ImageRequest,
                   sources: list[tuple[str, bytes, str]]) -> list[GeneratedImage]:
        """A remix of `sources` ((filename, bytes, mime) each) guided by the prompt."""
        if not sources:
            raise ValueError("an edit needs at least one source image")
        image: Any = sources[0] if len(sources) == 1 else sources
        client = await self._api()
        import openai

        options = self._options(request)
        # OpenAI's edits take no strength (an unknown parameter is refused); Dreamfeed's
        # generator and other image-to-image servers read it.
        if request.strength is not None and self.host != _OPENAI_HOST:
            options.setdefault("extra_body", {})["strength"] = request.strength
        try:
            response = await client.images.edit(
                image=image, prompt=request.prompt, n=request.n, **options)
        except openai.OpenAIError as exc:
            raise self._translate(exc) from exc
        return self._images(response)

    def _options(self, request: ImageRequest) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self.model:
            options["model"] = self.model
        # "auto" is the servers' own default; leaving it out suits servers that lack it.
        if request.size != "auto":
            options["size"] = request.size
        if request.quality != "auto":
            options["quality"] = request.quality
        if not self.model.startswith(_B64_ONLY_PREFIXES):
            options["response_format"] = "b64_json"
        extra = {k: v for k, v in (("seed", request.seed), ("style", request.style))
                 if v is not None}
        if extra:
            options["extra_body"] = extra
        return options

    def _images(self, response: ImagesResponse) -> list[GeneratedImage]:
        generator, source_type = self._provenance(response)
        model = self._model_used(response)
        images = []
        for item in response.data or []:
            if not item.b64_json:
                raise BackendError("bad_response", "The image service answered without image "
                                   "data (it may only offer URLs, which are not supported).")
            try:
                data = base64.b64decode(item.b64_json, validate=True)
            except (binascii.Error, ValueError):
                raise BackendError("bad_response", "The image service sent image data that "
                                   "is not valid base64.") from None
            extra = item.model_extra or {}
            seed, style = extra.get("seed"), extra.get("style")
            images.append(GeneratedImage(
                data=data, generator=generator, digital_source_type=source_type, model=model,
                seed=seed if isinstance(seed, int) else None,
                style=style if isinstance(style, str) else None,
                revised_prompt=item.revised_prompt))
        if not images:
            raise BackendError("bad_response", "The image service returned no images.")
        return images

    def _model_used(self, response: ImagesResponse) -> str:
        """The model the service says drew the images (Dreamfeed's generator names its
        engine); else the one we asked for: OpenAI draws with the model requested."""
        said = getattr(response, "model", None) or (response.model_extra or {}).get("model")
        if isinstance(said, str) and said.strip():
            return said.strip()[:128]
        return self.model or "unknown model"

    def _provenance(self, response: ImagesResponse) -> tuple[str, str]:
        """Dreamfeed's generator names its engine and what it makes; anything else is taken
        to be a trained model, named by the model we asked for."""
        ours = (response.model_extra or {}).get("dreamfeed")
        if isinstance(ours, dict) and ours.get("digital_source_type") in SOURCE_TYPES:
            name = f"{ours.get('engine', 'dreamfeed')} {ours.get('engine_version', '')}".strip()
            return name, str(ours["digital_source_type"])
        return self.model or "unknown model", TRAINED_ALGORITHMIC_MEDIA

    def _translate(self, exc: openai.OpenAIError) -> BackendError:
        import openai

        if isinstance(exc, openai.APITimeoutError):
            return BackendError("timeout", f"The image service did not answer within "
                                f"{self.timeout:g} seconds.", retryable=True)
        if isinstance(exc, openai.APIConnectionError):
            return BackendError("unavailable", f"The image service at {self.host} cannot be "
                                "reached.", retryable=True)
        if not isinstance(exc, openai.APIStatusError):
            return BackendError("bad_response", f"The image service's answer could not be "
                                f"read: {exc}")
        code = str(exc.code or "")
        detail = _detail(exc)
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return BackendError("auth", "The image service refused this instance's API key "
                                f"({detail}); the administrator must check [generator] "
                                "api_key.")
        if code in QUOTA_CODES or exc.type == "insufficient_quota":
            return BackendError("quota", "This instance's image service quota or billing "
                                "limit is used up; tell the administrator.")
        if code in MODERATION_CODES or "safety system" in detail.lower():
            return BackendError("refused", "The image service refused this prompt under its "
                                "content policy. Try rewording it.")
        if isinstance(exc, openai.RateLimitError):
            return BackendError("rate_limited", "The image service is busy (rate limited).",
                                retryable=True, retry_after=_retry_after(exc))
        if isinstance(exc, openai.InternalServerError) or exc.status_code in (408, 409):
            return BackendError("unavailable",
                                f"The image service failed (HTTP {exc.status_code}).",
                                retryable=True, retry_after=_retry_after(exc))
        if isinstance(exc, openai.NotFoundError):
            return BackendError("invalid", f"The image service has no model {self.model!r} "
                                f"or no Images API at {self.base_url} ({detail}).")
        return BackendError("invalid", f"The image service rejected the request: {detail}")


def _detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return f"HTTP {exc.status_code}"


def _retry_after(exc: openai.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None

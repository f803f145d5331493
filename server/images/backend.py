"""ImageBackend: the one way the server asks for images, through the official `openai` client.

`base_url` points at OpenAI, at Dreamfeed's generator service, or at another OpenAI-compatible
server (LocalAI, stable-diffusion.cpp). The operator chose that URL, so it is trusted: the
client's own HTTP stack is used, not the federation client that refuses private addresses.
The client does not retry: the generation job decides, from BackendError's `retryable`,
whether trying again can help, so a spent quota is never hammered. The client and the meaning
of its failures come from server.images.openai_api, the one module that imports openai.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from server.images import openai_api
from server.images.openai_api import OPENAI_BASE_URL, OPENAI_HOST, Failure, ServiceFailure
from server.images.provenance import SOURCE_TYPES, TRAINED_ALGORITHMIC_MEDIA

if TYPE_CHECKING:
    import openai
    from openai.types import ImagesResponse
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
        self.endpoint = openai_api.Endpoint(base_url or OPENAI_BASE_URL, api_key, model,
                                            timeout)
        self._client: openai.AsyncOpenAI | None = None
        self._lock = asyncio.Lock()

    @property
    def base_url(self) -> str:
        return self.endpoint.base_url

    @property
    def model(self) -> str:
        return self.endpoint.model

    @property
    def timeout(self) -> float:
        return self.endpoint.timeout

    @property
    def host(self) -> str:
        return self.endpoint.host

    async def _connect(self) -> None:
        """Called once, before the first request: subclasses start what base_url names."""

    async def _api(self) -> openai.AsyncOpenAI:
        async with self._lock:
            if self._client is None:
                await self._connect()
                self._client = self.endpoint.client()
            return self._client

    async def close(self) -> None:
        async with self._lock:
            if self._client is not None:
                await self._client.close()
                self._client = None

    async def generate(self, request: ImageRequest) -> list[GeneratedImage]:
        client = await self._api()
        try:
            response = await client.images.generate(
                prompt=request.prompt, n=request.n, **self.request_options(request))
        except Exception as exc:
            self._fail(exc)
        return self._images(response)

    async def edit(self, request: ImageRequest,
                   sources: list[tuple[str, bytes, str]]) -> list[GeneratedImage]:
        """A remix of `sources` ((filename, bytes, mime) each) guided by the prompt."""
        if not sources:
            raise ValueError("an edit needs at least one source image")
        image: Any = sources[0] if len(sources) == 1 else sources
        client = await self._api()
        options = self.request_options(request)
        # OpenAI's edits take no strength (an unknown parameter is refused); Dreamfeed's
        # generator and other image-to-image servers read it.
        if request.strength is not None and self.host != OPENAI_HOST:
            options.setdefault("extra_body", {})["strength"] = request.strength
        try:
            response = await client.images.edit(
                image=image, prompt=request.prompt, n=request.n, **options)
        except Exception as exc:
            self._fail(exc)
        return self._images(response)

    def _fail(self, exc: Exception) -> NoReturn:
        """Raise the BackendError that says what went wrong; not the client's: as it is."""
        failed = openai_api.failure(exc)
        if failed is None:
            raise exc
        raise self._translate(failed) from exc

    def request_options(self, request: ImageRequest) -> dict[str, Any]:
        """The Images API parameters besides prompt and n. Seed and style are Dreamfeed's
        generator's extensions: OpenAI refuses an unknown seed, and its own `style` means
        vivid or natural, so neither is sent to api.openai.com."""
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
        if extra and self.host != OPENAI_HOST:
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

    def _translate(self, failed: ServiceFailure) -> BackendError:
        kind, status, detail = failed.kind, failed.status, failed.detail
        if kind is Failure.TIMEOUT:
            return BackendError("timeout", f"The image service did not answer within "
                                f"{self.timeout:g} seconds.", retryable=True)
        if kind is Failure.UNREACHABLE:
            return BackendError("unavailable", f"The image service at {self.host} cannot be "
                                "reached.", retryable=True)
        if kind is Failure.UNREADABLE:
            return BackendError("bad_response", f"The image service's answer could not be "
                                f"read: {detail}")
        if kind is Failure.AUTH:
            return BackendError("auth", "The image service refused this instance's API key "
                                f"({detail}); the administrator must check [generator] "
                                "api_key.")
        if kind is Failure.QUOTA:
            return BackendError("quota", "This instance's image service quota or billing "
                                "limit is used up; tell the administrator.")
        if kind is Failure.CONTENT_POLICY:
            return BackendError("refused", "The image service refused this prompt under its "
                                "content policy. Try rewording it.")
        if kind is Failure.RATE_LIMITED:
            return BackendError("rate_limited", "The image service is busy (rate limited).",
                                retryable=True, retry_after=failed.retry_after)
        if kind is Failure.SERVER_ERROR:
            return BackendError("unavailable", f"The image service failed (HTTP {status}).",
                                retryable=True, retry_after=failed.retry_after)
        if kind is Failure.NOT_FOUND:
            return BackendError("invalid", f"The image service has no model {self.model!r} "
                                f"or no Images API at {self.base_url} ({detail}).")
        return BackendError("invalid", f"The image service rejected the request: {detail}")

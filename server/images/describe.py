"""DescribeClient: the one way the server asks a vision model to describe an image, through
the official `openai` client's `chat.completions.create` (any OpenAI-compatible chat
endpoint that accepts image input: OpenAI, Ollama, LocalAI, vLLM).

A sibling of server.images.backend (images) and server.images.moderation (prompts);
server.images.openai_api makes the client and says what its failures mean. A client is opened
per description and closed after it: descriptions are asked for one click at a time and
capped per user per day, so a long-lived pool buys nothing.

What is sent is the instruction below (docs/image-descriptions.md quotes it), the image, and
the author's prompt only when the caller passes one (the author asked for it). Nothing about
the account: no `user` field, no names. The model is asked for a JSON object; a model that
answers in prose anyway has its whole answer taken as the description.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

from server.i18n import N_
from server.images import openai_api
from server.images.openai_api import Failure, ServiceFailure

# Mastodon's limit for a media description (MediaAttachment::MAX_DESCRIPTION_LENGTH).
MAX_DESCRIPTION = 1500
MAX_CAPTION = 280
# Enough for 1,500 characters of description and a caption in JSON, with room to spare;
# a runaway answer stops here instead of costing more.
MAX_TOKENS = 900
# Openings describers are told not to write: a screen reader already says "image".
_OPENINGS = re.compile(r"^(?:an?\s+)?(?:image|picture|photo(?:graph)?|illustration)\s+of\s+",
                       re.IGNORECASE)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")

INSTRUCTION = """\
You write alt text: the description of an image for people who cannot see it, read aloud \
by screen readers on social media.

Describe what is visible:
- Start with the main subject, then the setting, then the details that matter: colours, \
light, mood, and the style (photograph, painting, drawing, 3D render, pixel art...).
- If the image contains text, transcribe it exactly, in quotation marks.
- Do not begin with "Image of", "Picture of" or "This image shows": screen readers already \
say it is an image.
- Do not name real people, guess at identities, or add opinions, hashtags or emoji.
- Write plain sentences without markdown. Two to four sentences are usually enough; never \
more than 1,500 characters.

Then suggest a short caption the author could post with the image: one friendly sentence \
of at most 200 characters, without hashtags.

Answer with one JSON object and nothing else:
{"alt_text": "...", "caption": "..."}"""

ASK = "Describe this image."
# Added to ASK only when the author chose to let the model read their private prompt.
PROMPT_CONTEXT = ("The author made it from this prompt; use it only to understand what "
                  "the image shows, and describe what is visible:\n")


class DescribeError(Exception):
    """The model gave no description. `code` is one of refused, unsupported, auth, quota,
    rate_limited, timeout, unavailable, bad_response; `template` and `values` are the
    message for the author (an N_ template, lower case and without a full stop, as service
    refusals are), `str()` the English filled in."""

    def __init__(self, code: str, template: str, **values: object) -> None:
        super().__init__(template % values if values else template)
        self.code = code
        self.template = template
        self.values = values


_DECLINED = N_("the description model declined to describe this image; write the alt text "
               "yourself")
_EMPTY = N_("the description model answered with no description; try again")


@dataclass(frozen=True)
class Description:
    text: str  # the alt text draft, at most MAX_DESCRIPTION characters
    caption: str  # a caption suggestion ("" when the model offered none)
    model: str  # the model that answered, as the service says


class DescribeClient:
    def __init__(self, *, base_url: str, api_key: str, model: str, timeout: float) -> None:
        self.endpoint = openai_api.Endpoint(base_url, api_key, model, timeout)

    @property
    def model(self) -> str:
        return self.endpoint.model

    @property
    def host(self) -> str:
        return self.endpoint.host

    def messages(self, jpeg: bytes, prompt: str | None = None) -> list[dict[str, Any]]:
        """The chat messages sent: the instruction, then the image (and the prompt, when
        given) as the user's turn."""
        ask = ASK if not prompt else f"{ASK}\n\n{PROMPT_CONTEXT}{prompt}"
        image = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
        return [{"role": "system", "content": INSTRUCTION},
                {"role": "user", "content": [
                    {"type": "text", "text": ask},
                    {"type": "image_url", "image_url": {"url": image, "detail": "auto"}}]}]

    async def describe(self, jpeg: bytes, prompt: str | None = None) -> Description:
        # No retries: the author is told at once and may press the button again.
        async with self.endpoint.client() as client:
            try:
                response = await client.chat.completions.create(
                    model=self.model, messages=self.messages(jpeg, prompt),  # type: ignore[arg-type]
                    max_tokens=MAX_TOKENS, temperature=0.2)
            except Exception as exc:
                failed = openai_api.failure(exc)
                if failed is None:
                    raise
                raise self._translate(failed) from exc
        if not response.choices:
            raise DescribeError("bad_response", _EMPTY)
        choice = response.choices[0]
        refusal = getattr(choice.message, "refusal", None)
        if refusal or choice.finish_reason == "content_filter":
            raise DescribeError("refused", _DECLINED)
        text, caption = parse_answer(choice.message.content or "")
        if not text:
            raise DescribeError("bad_response", _EMPTY)
        return Description(text=text, caption=caption,
                           model=(response.model or self.model)[:128])

    def _translate(self, failed: ServiceFailure) -> DescribeError:
        kind = failed.kind
        if kind is Failure.TIMEOUT:
            return DescribeError("timeout", N_("the description model did not answer within "
                                               "%(seconds)s seconds; try again"),
                                 seconds=f"{self.endpoint.timeout:g}")
        if kind is Failure.UNREACHABLE:
            return DescribeError("unavailable", N_("the description model at %(host)s cannot "
                                                   "be reached right now; try again later"),
                                 host=self.host)
        if kind is Failure.UNREADABLE:
            return DescribeError("bad_response", N_("the description model's answer could "
                                                    "not be read; try again"))
        if kind is Failure.AUTH:
            return DescribeError("auth", N_("the description model refused this server's API "
                                            "key; tell the administrator ([describe] "
                                            "api_key)"))
        if kind is Failure.QUOTA:
            return DescribeError("quota", N_("this server's description model quota is used "
                                             "up; tell the administrator"))
        if kind is Failure.CONTENT_POLICY:
            return DescribeError("refused", _DECLINED)
        if kind is Failure.RATE_LIMITED:
            return DescribeError("rate_limited", N_("the description model is busy; try again "
                                                    "in a minute"))
        if kind is Failure.SERVER_ERROR:
            return DescribeError("unavailable", N_("the description model failed (HTTP "
                                                   "%(status)s); try again later"),
                                 status=failed.status)
        # 400/404/422: no such model, or one that takes no images (OpenAI: "image_url is
        # only supported by certain models"; Ollama: "model does not support images").
        return DescribeError("unsupported", N_("the description model %(model)r does not "
                                               "accept images here (%(detail)s); the "
                                               "administrator must choose a vision model "
                                               "([describe] model)"),
                             model=self.model, detail=failed.detail[:200])


def parse_answer(content: str) -> tuple[str, str]:
    """(description, caption) from the model's answer: the JSON object asked for, or, from
    a model that wrote prose anyway, the prose as the description."""
    raw = _FENCE.sub("", content.strip())
    text, caption = raw, ""
    start, end = raw.find("{"), raw.rfind("}")
    if start != -1 and end > start:
        try:
            found = json.loads(raw[start:end + 1])
        except ValueError:
            found = None
        if isinstance(found, dict) and isinstance(found.get("alt_text"), str):
            text = found["alt_text"]
            caption = found["caption"] if isinstance(found.get("caption"), str) else ""
    return _clean(text, MAX_DESCRIPTION, opening=True), _clean(caption, MAX_CAPTION)


def _clean(text: str, limit: int, *, opening: bool = False) -> str:
    text = " ".join(text.split())
    if opening:
        stripped = _OPENINGS.sub("", text)
        text = stripped[:1].upper() + stripped[1:]
    if len(text) <= limit:
        return text
    # Cut at the last sentence end that fits, else at a word.
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if end >= limit // 2:
        return cut[:end + 1]
    return cut.rsplit(" ", 1)[0].rstrip(",;:") + "…" if " " in cut else cut

